using System.Security.Cryptography;

namespace Lanyard.Server.Common;

/// <summary>
/// Identifiers are 26 lowercase base32 characters (RFC 4648's characters a–z and 2–7), the shape
/// Wristband's ids have. The 128 bits are a 48-bit millisecond timestamp followed by 80 random bits, and
/// the digits are assigned in ASCII order, so ids sort by creation time as plain strings: B-tree inserts
/// stay local on large tables, and the ids remain unguessable.
/// </summary>
internal static class LanyardId
{
    public const int Length = 26;
    private const string Alphabet = "234567abcdefghijklmnopqrstuvwxyz";

    public static string New(TimeProvider time)
    {
        Span<byte> bytes = stackalloc byte[16];
        var millis = (ulong)time.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < 6; i++)
        {
            bytes[i] = (byte)(millis >> (8 * (5 - i)));
        }

        RandomNumberGenerator.Fill(bytes[6..]);
        return Encode(bytes);
    }

    public static bool IsValid(string? value)
    {
        if (value is null || value.Length != Length)
        {
            return false;
        }

        // 128 bits in 26 characters leave 2 spare bits; the last character carries only 3 value bits.
        foreach (var c in value)
        {
            if (!Alphabet.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        Span<char> chars = stackalloc char[Length];
        var buffer = 0;
        var bits = 0;
        var index = 0;
        foreach (var b in bytes)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[index++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            chars[index++] = Alphabet[(buffer << (5 - bits)) & 31];
        }

        return new string(chars[..index]);
    }
}

using System.Security.Cryptography;
using System.Text;
using OtpNet;

namespace Lanyard.Server.Features.Mfa;

/// <summary>
/// RFC 6238 with the parameters every authenticator app supports (SHA-1, 6 digits, 30 s), and the
/// 160-bit recovery code. Time steps are explicit so the caller can record which one a code belonged to.
/// </summary>
internal static class TotpCodes
{
    public const int StepSeconds = 30;
    public const int Digits = 6;

    /// <summary>RFC 4226 recommends 160 bits for the shared secret; the recovery code has as many.</summary>
    public const int SecretBytes = 20;

    public static long StepAt(DateTimeOffset now) => now.ToUnixTimeSeconds() / StepSeconds;

    public static string CodeAt(byte[] secret, long step) =>
        new Totp(secret, StepSeconds, OtpHashMode.Sha1, Digits).ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(step * StepSeconds).UtcDateTime);

    /// <summary>
    /// The step (now, one back or one ahead — RFC 6238 §5.2's one step of delay, no more) whose code is
    /// <paramref name="code"/>, latest first; null if none. Every candidate is computed and compared in
    /// constant time, so timing does not say which step nearly matched.
    /// </summary>
    public static long? MatchingStep(byte[] secret, string? code, DateTimeOffset now)
    {
        var candidate = Normalize(code);
        if (candidate is null)
        {
            return null;
        }

        var given = Encoding.ASCII.GetBytes(candidate);
        var current = StepAt(now);
        long? matched = null;
        foreach (var step in new[] { current + 1, current, current - 1 })
        {
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(CodeAt(secret, step))) && matched is null)
            {
                matched = step;
            }
        }

        return matched;
    }

    public static string Base32(byte[] bytes) => Base32Encoding.ToString(bytes).TrimEnd('=');

    /// <summary>A new recovery code: 160 CSPRNG bits in base32, shown as eight groups of four.</summary>
    public static string NewRecoveryCode()
    {
        var text = Base32(RandomNumberGenerator.GetBytes(SecretBytes));
        return string.Join('-', Enumerable.Range(0, text.Length / 4).Select(i => text.Substring(i * 4, 4)));
    }

    /// <summary>SHA-256 of the recovery code as typed, ignoring case, spaces and dashes; null if it cannot be one.</summary>
    public static string? RecoveryCodeHash(string? code)
    {
        if (code is null || code.Length > 100)
        {
            return null;
        }

        var canonical = new string([.. code.Where(c => c is not ('-' or ' ')).Select(char.ToUpperInvariant)]);
        return canonical.Length == 32 ? Common.OpaqueToken.Hash(canonical) : null;
    }

    private static string? Normalize(string? code)
    {
        var trimmed = code?.Replace(" ", "", StringComparison.Ordinal).Trim();
        return trimmed is { Length: Digits } && trimmed.All(char.IsAsciiDigit) ? trimmed : null;
    }
}

using System.Security.Cryptography;
using System.Text;

namespace Lanyard.Server.Common;

/// <summary>
/// Codes, refresh tokens and session handles: 256 bits from the CSPRNG in base64url (URL-safe, because
/// Wristband's Express SDK puts them into form bodies unencoded), stored only as their SHA-256. A
/// high-entropy value needs no salt or slow hash: the digest is a lookup key that reveals nothing.
/// </summary>
internal static class OpaqueToken
{
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.Encode(bytes);
    }

    public static string Hash(string token) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}

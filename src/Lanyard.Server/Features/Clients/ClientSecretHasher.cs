using System.Security.Cryptography;
using System.Text;
using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Clients;

/// <summary>
/// Client secrets are 256-bit random values, so a slow password KDF buys nothing: a keyed HMAC is
/// enough to make a leaked table useless without the server's key, and it verifies in microseconds
/// on the token endpoint's hot path.
/// </summary>
internal sealed class ClientSecretHasher(MasterKey masterKey)
{
    private const string Prefix = "hmac-sha256$";
    private readonly byte[] _key = masterKey.Derive("client-secret-hash");

    public static string GenerateSecret()
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.Encode(bytes);
    }

    public string Hash(string secret) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(secret)));

    public bool Verify(string secret, string? storedHash)
    {
        if (storedHash is null || !storedHash.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var expected = Encoding.ASCII.GetBytes(storedHash);
        var actual = Encoding.ASCII.GetBytes(Hash(secret));
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lanyard.Server.Hosting;

namespace Lanyard.Server.Features.Users;

/// <summary>
/// PBKDF2-HMAC-SHA256 at OWASP's current work factor (600,000 iterations), in a self-describing
/// format <c>$pbkdf2-sha256$i={iterations}${salt}${hash}</c> so the work factor can rise later and old
/// hashes are recognised for rehash on the next successful login.
/// </summary>
internal sealed class PasswordHasher(ServerSettings settings)
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private readonly Lazy<string> _dummyHash = new(() => new PasswordHasher(settings).Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    /// <summary>
    /// A hash of a random password at the current work factor. Verifying against it when an account does
    /// not exist costs the same time as a real check, so response times do not reveal which accounts exist.
    /// </summary>
    public string DummyHash => _dummyHash.Value;

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, settings.PasswordHashIterations);
        return string.Create(CultureInfo.InvariantCulture,
            $"${Scheme}$i={settings.PasswordHashIterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    public PasswordVerification Verify(string password, string? stored)
    {
        var parts = stored?.Split('$');
        if (parts is not { Length: 5 } || parts[1] != Scheme || !parts[2].StartsWith("i=", StringComparison.Ordinal)
            || !int.TryParse(parts[2].AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            return PasswordVerification.Failed;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(parts[3]);
            expected = Convert.FromBase64String(parts[4]);
        }
        catch (FormatException)
        {
            return PasswordVerification.Failed;
        }

        var actual = Derive(password, salt, iterations, expected.Length);
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return PasswordVerification.Failed;
        }

        return iterations < settings.PasswordHashIterations ? PasswordVerification.SucceededRehashNeeded : PasswordVerification.Succeeded;
    }

    private static byte[] Derive(string password, byte[] salt, int iterations, int length = HashBytes) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, length);
}

internal enum PasswordVerification
{
    Failed,
    Succeeded,
    SucceededRehashNeeded,
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lanyard.Server.Hosting;

namespace Lanyard.Server.Features.Users;

/// <summary>
/// PBKDF2-HMAC-SHA256 at OWASP's current work factor (600,000 iterations), in a self-describing
/// format <c>$pbkdf2-sha256$i={iterations}${salt}${hash}</c> so the work factor can rise later and old
/// hashes are recognised for rehash on the next successful login. Hashes imported from other systems
/// (see <see cref="PasswordHashFormats"/>) verify too and are replaced by this format at the first
/// successful login.
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

    /// <summary>
    /// Checks a password against a stored hash in any format of <see cref="PasswordHashFormats"/>. A hash in
    /// another format than Lanyard's own (an imported one) or at a lower work factor verifies with
    /// <see cref="PasswordVerification.SucceededRehashNeeded"/>, so the caller stores a fresh hash of the
    /// password it now knows. A malformed hash or one whose cost exceeds the bounds never verifies.
    /// </summary>
    public PasswordVerification Verify(string password, string? stored)
    {
        var hash = PasswordHashFormats.TryParse(stored);
        if (hash is null || !hash.Matches(password))
        {
            return PasswordVerification.Failed;
        }

        return hash is StoredPasswordHash.Pbkdf2 { Iterations: var iterations } own
               && own.Algorithm == HashAlgorithmName.SHA256 && iterations >= settings.PasswordHashIterations
            ? PasswordVerification.Succeeded
            : PasswordVerification.SucceededRehashNeeded;
    }

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
}

internal enum PasswordVerification
{
    Failed,
    Succeeded,
    SucceededRehashNeeded,
}

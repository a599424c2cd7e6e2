using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;

namespace Lanyard.Server.Features.Users;

/// <summary>
/// A password hash in one of the self-describing string formats Lanyard verifies: its own
/// (<c>$pbkdf2-sha256$…</c>) and those imported from other systems (bcrypt, Argon2id, PBKDF2 with SHA-1 or
/// SHA-512, scrypt). Every format carries its parameters, so a verification needs nothing but the string.
/// </summary>
internal abstract record StoredPasswordHash
{
    private StoredPasswordHash() { }

    /// <summary>Whether <paramref name="password"/> derives to this hash; the comparison takes the same time wherever the bytes differ.</summary>
    public abstract bool Matches(string password);

    /// <summary><c>$pbkdf2-{sha1|sha256|sha512}$i={iterations}${salt}${hash}</c>, salt and hash in base64 (passlib's form without <c>i=</c> too).</summary>
    public sealed record Pbkdf2(HashAlgorithmName Algorithm, int Iterations, byte[] Salt, byte[] Hash) : StoredPasswordHash
    {
        public override bool Matches(string password) =>
            CryptographicOperations.FixedTimeEquals(
                Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Salt, Iterations, Algorithm, Hash.Length), Hash);
    }

    /// <summary><c>$2a$</c>, <c>$2b$</c> or <c>$2y$</c>, a two-digit cost, then 22 characters of salt and 31 of hash.</summary>
    public sealed record Bcrypt(string Value, int Cost) : StoredPasswordHash
    {
        // bcrypt reads at most 72 bytes of the password, as every implementation that made these hashes did;
        // the first successful login replaces the hash with one that reads all of it.
        // Only the 31 hash characters are compared: the salt's last character carries two unused bits that
        // implementations write differently, and the salt is taken from Value anyway.
        public override bool Matches(string password) =>
            CryptographicOperations.FixedTimeEquals(
                Encoding.ASCII.GetBytes(BCrypt.Net.BCrypt.HashPassword(password, Value)[^31..]), Encoding.ASCII.GetBytes(Value[^31..]));
    }

    /// <summary><c>$argon2id$v=19$m={KiB},t={passes},p={lanes}${salt}${hash}</c> (the PHC string format, base64 without padding).</summary>
    public sealed record Argon2id(int MemoryKiB, int Passes, int Lanes, byte[] Salt, byte[] Hash) : StoredPasswordHash
    {
        public override bool Matches(string password)
        {
            var parameters = new Argon2Parameters.Builder(Argon2Parameters.Argon2id)
                .WithVersion(Argon2Parameters.Version13)
                .WithMemoryAsKB(MemoryKiB)
                .WithIterations(Passes)
                .WithParallelism(Lanes)
                .WithSalt(Salt)
                .Build();
            var generator = new Argon2BytesGenerator();
            generator.Init(parameters);
            var actual = new byte[Hash.Length];
            generator.GenerateBytes(Encoding.UTF8.GetBytes(password), actual);
            return CryptographicOperations.FixedTimeEquals(actual, Hash);
        }
    }

    /// <summary><c>$scrypt$ln={log2 N},r={block size},p={parallelism}${salt}${hash}</c>, base64.</summary>
    public sealed record Scrypt(int Log2Cost, int BlockSize, int Parallelism, byte[] Salt, byte[] Hash) : StoredPasswordHash
    {
        public override bool Matches(string password) =>
            CryptographicOperations.FixedTimeEquals(
                SCrypt.Generate(Encoding.UTF8.GetBytes(password), Salt, 1 << Log2Cost, BlockSize, Parallelism, Hash.Length), Hash);
    }
}

/// <summary>Why a hash string was refused: a stable violation code and a sentence for the operator.</summary>
internal sealed record PasswordHashProblem(string Code, string Reason);

/// <summary>
/// Reads the hash formats of <see cref="StoredPasswordHash"/> and refuses anything else. The cost parameters
/// are bounded: a hash is verified at every login attempt, by anyone who knows the account's email, so a
/// hash with an absurd cost (bcrypt 31, a gigabyte of Argon2 memory) would hand attackers a denial of service.
/// The bounds sit well above what real systems use.
/// </summary>
internal static class PasswordHashFormats
{
    /// <summary>The most PBKDF2 iterations accepted: the most Lanyard itself may be configured with.</summary>
    public const int MaxPbkdf2Iterations = 10_000_000;

    public const int MaxBcryptCost = 14;
    public const int MinBcryptCost = 4;

    /// <summary>256 MiB.</summary>
    public const int MaxArgon2MemoryKiB = 262_144;
    public const int MaxArgon2Passes = 10;
    public const int MaxParallelism = 16;

    /// <summary>scrypt's memory is 128 · r · N bytes; at most 256 MiB like Argon2.</summary>
    public const long MaxScryptMemoryBytes = 256L * 1024 * 1024;

    /// <summary>scrypt's work grows with N · r · p; 2^24 is eight times the common N = 2^17, r = 8, p = 1.</summary>
    public const long MaxScryptWork = 1L << 24;

    public const int MinSaltBytes = 8;
    public const int MaxSaltBytes = 64;
    public const int MinHashBytes = 16;
    public const int MaxHashBytes = 64;

    public const string Schemes = "bcrypt ($2a$, $2b$, $2y$), $argon2id$, $pbkdf2-sha1$, $pbkdf2-sha256$, $pbkdf2-sha512$, $scrypt$";

    private const string BcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public static StoredPasswordHash? TryParse(string? text) => Parse(text).Hash;

    public static (StoredPasswordHash? Hash, PasswordHashProblem? Problem) Parse(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 512 || !text.StartsWith('$'))
        {
            return Format($"not a known password hash format; accepted: {Schemes}");
        }

        var parts = text.Split('$');
        return parts[1] switch
        {
            "2a" or "2b" or "2y" => ParseBcrypt(text, parts),
            "argon2id" => ParseArgon2id(parts),
            "pbkdf2-sha1" => ParsePbkdf2(parts, HashAlgorithmName.SHA1),
            "pbkdf2-sha256" => ParsePbkdf2(parts, HashAlgorithmName.SHA256),
            "pbkdf2-sha512" => ParsePbkdf2(parts, HashAlgorithmName.SHA512),
            "scrypt" => ParseScrypt(parts),
            "argon2i" or "argon2d" => Format("only the argon2id variant of Argon2 is accepted"),
            "2" or "2x" => Format("this bcrypt variant ($2$, $2x$) is not accepted; $2a$, $2b$ and $2y$ are"),
            _ => Format($"not a known password hash format; accepted: {Schemes}"),
        };
    }

    private static (StoredPasswordHash?, PasswordHashProblem?) ParseBcrypt(string text, string[] parts)
    {
        // $2b$12$<22 salt><31 hash>: four parts around the dollars, 60 characters in all.
        if (parts.Length != 4 || text.Length != 60 || parts[2].Length != 2 || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var cost)
            || parts[3].Length != 53 || parts[3].Any(c => !BcryptAlphabet.Contains(c, StringComparison.Ordinal)))
        {
            return Format("a bcrypt hash is $2b$, a two-digit cost, $, then 53 characters of bcrypt's base64 (60 characters in all)");
        }

        return cost is < MinBcryptCost or > MaxBcryptCost
            ? Bound($"bcrypt cost must be from {MinBcryptCost} to {MaxBcryptCost}")
            : (new StoredPasswordHash.Bcrypt(text, cost), null);
    }

    private static (StoredPasswordHash?, PasswordHashProblem?) ParsePbkdf2(string[] parts, HashAlgorithmName algorithm)
    {
        // passlib writes the iterations without "i=".
        var count = parts.Length == 5 && parts[2].StartsWith("i=", StringComparison.Ordinal) ? parts[2][2..] : parts.Length == 5 ? parts[2] : "";
        if (parts.Length != 5 || !int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var iterations)
            || Base64(parts[3]) is not { } salt || Base64(parts[4]) is not { } hash)
        {
            return Format($"a PBKDF2 hash is $pbkdf2-{algorithm.Name!.ToLowerInvariant()}$i={{iterations}}${{salt}}${{hash}} with salt and hash in base64");
        }

        if (iterations is < 1 or > MaxPbkdf2Iterations)
        {
            return Bound($"PBKDF2 iterations must be from 1 to {MaxPbkdf2Iterations}");
        }

        return Sizes(salt, hash) ?? (new StoredPasswordHash.Pbkdf2(algorithm, iterations, salt, hash), null);
    }

    private static (StoredPasswordHash?, PasswordHashProblem?) ParseArgon2id(string[] parts)
    {
        const string shape = "an Argon2id hash is $argon2id$v=19$m={KiB},t={passes},p={lanes}${salt}${hash} with salt and hash in base64";
        if (parts.Length != 6 || Parameters(parts[3], "m", "t", "p") is not [var memory, var passes, var lanes]
            || Base64(parts[4]) is not { } salt || Base64(parts[5]) is not { } hash)
        {
            return Format(shape);
        }

        if (parts[2] != "v=19")
        {
            return Format("only version 19 (v=19, Argon2 1.3) is accepted");
        }

        if (lanes is < 1 or > MaxParallelism || passes is < 1 or > MaxArgon2Passes || memory < 8L * lanes || memory > MaxArgon2MemoryKiB)
        {
            return Bound($"Argon2id needs 1 ≤ p ≤ {MaxParallelism}, 1 ≤ t ≤ {MaxArgon2Passes} and 8·p ≤ m ≤ {MaxArgon2MemoryKiB} (KiB)");
        }

        return Sizes(salt, hash) ?? (new StoredPasswordHash.Argon2id((int)memory, (int)passes, (int)lanes, salt, hash), null);
    }

    private static (StoredPasswordHash?, PasswordHashProblem?) ParseScrypt(string[] parts)
    {
        if (parts.Length != 5 || Parameters(parts[2], "ln", "r", "p") is not [var log2Cost, var blockSize, var parallelism]
            || Base64(parts[3]) is not { } salt || Base64(parts[4]) is not { } hash)
        {
            return Format("an scrypt hash is $scrypt$ln={log2 N},r={block size},p={parallelism}${salt}${hash} with salt and hash in base64");
        }

        if (log2Cost is < 1 or > 24 || blockSize is < 1 or > 64 || parallelism is < 1 or > MaxParallelism
            || 128L * blockSize << (int)log2Cost > MaxScryptMemoryBytes || (blockSize * parallelism) << (int)log2Cost > MaxScryptWork)
        {
            return Bound($"scrypt needs 1 ≤ p ≤ {MaxParallelism}, memory 128·r·2^ln ≤ 256 MiB and work 2^ln·r·p ≤ 2^24");
        }

        return Sizes(salt, hash) ?? (new StoredPasswordHash.Scrypt((int)log2Cost, (int)blockSize, (int)parallelism, salt, hash), null);
    }

    /// <summary>Reads <c>a=1,b=2,c=3</c> with exactly the given names in that order; null if it does not fit.</summary>
    private static long[]? Parameters(string text, params string[] names)
    {
        var pairs = text.Split(',');
        if (pairs.Length != names.Length)
        {
            return null;
        }

        var values = new long[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var prefix = names[i] + "=";
            if (!pairs[i].StartsWith(prefix, StringComparison.Ordinal) || pairs[i].Length > prefix.Length + 10
                || !long.TryParse(pairs[i].AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
            {
                return null;
            }
        }

        return values;
    }

    /// <summary>
    /// Standard base64, with or without padding (PHC strings leave it off); passlib's variant with <c>.</c> for
    /// <c>+</c> is read too (a dot is not otherwise a base64 character, so nothing else changes meaning).
    /// </summary>
    private static byte[]? Base64(string text)
    {
        if (text.Length == 0 || text.Length > 200)
        {
            return null;
        }

        text = text.Replace('.', '+');
        var padded = (text.Length % 4) switch
        {
            2 => text + "==",
            3 => text + "=",
            _ => text,
        };
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static (StoredPasswordHash?, PasswordHashProblem?)? Sizes(byte[] salt, byte[] hash) =>
        salt.Length is < MinSaltBytes or > MaxSaltBytes || hash.Length is < MinHashBytes or > MaxHashBytes
            ? Format($"the salt must be {MinSaltBytes}–{MaxSaltBytes} bytes and the hash {MinHashBytes}–{MaxHashBytes} bytes")
            : null;

    private static (StoredPasswordHash?, PasswordHashProblem?) Format(string reason) =>
        (null, new PasswordHashProblem(Common.ViolationCodes.InvalidFormat, reason));

    private static (StoredPasswordHash?, PasswordHashProblem?) Bound(string reason) =>
        (null, new PasswordHashProblem(Common.ViolationCodes.InvalidValue, reason));
}

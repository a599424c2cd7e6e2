using System.Collections.Frozen;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// The offline breached/common-password check (NIST SP 800-63B §3.1.1.2; ASVS 6.2.4): the 10,000 most
/// common passwords of public leak corpora, shipped inside the server (<c>common-passwords.txt</c>), so
/// the check works on air-gapped installs and no password or hash of one ever leaves the process.
/// Matching is case-insensitive, and also catches the most common way of dressing up such a password:
/// digits or symbols added before or after it (<c>Password1234567</c>, <c>Summer2024!</c>).
/// </summary>
internal static class CommonPasswords
{
    private const string ResourceName = "Lanyard.CommonPasswords.txt";

    /// <summary>A shorter stem ("love", "abc") is too likely to be part of a good passphrase to refuse on its own.</summary>
    private const int MinimumStemLength = 5;

    /// <summary>What people add around a common word: digits, punctuation, spaces.</summary>
    private const string Decoration = "0123456789 !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    private static readonly Lazy<FrozenSet<string>> List = new(Load);

    public static int Count => List.Value.Count;

    public static bool IsCommon(string password)
    {
        var lowered = password.ToLowerInvariant();
        var list = List.Value;
        if (list.Contains(lowered))
        {
            return true;
        }

        var stem = lowered.AsSpan().Trim(Decoration);
        return stem.Length >= MinimumStemLength && stem.Length < lowered.Length
            && list.GetAlternateLookup<ReadOnlySpan<char>>().Contains(stem);
    }

    private static FrozenSet<string> Load()
    {
        using var stream = typeof(CommonPasswords).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing from the build.");
        using var reader = new StreamReader(stream);
        var words = new List<string>(10_000);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                words.Add(line.Trim().ToLowerInvariant());
            }
        }

        return words.ToFrozenSet(StringComparer.Ordinal);
    }
}

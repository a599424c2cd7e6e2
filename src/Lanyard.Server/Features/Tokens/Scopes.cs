namespace Lanyard.Server.Features.Tokens;

/// <summary>The scopes Lanyard knows. Unknown scopes in a request are dropped, as RFC 6749 §3.3 allows.</summary>
internal static class Scopes
{
    public const string OpenId = "openid";
    public const string Profile = "profile";
    public const string Email = "email";
    public const string Phone = "phone";
    public const string OfflineAccess = "offline_access";
    public const string Roles = "roles";

    public static readonly IReadOnlyList<string> Supported = [OpenId, Profile, Email, Phone, OfflineAccess, Roles];

    public static HashSet<string> Parse(string? scope) =>
        new((scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);

    /// <summary>The known scopes of a request, in the order they were asked for, without duplicates.</summary>
    public static string Normalize(string? requested) =>
        string.Join(' ', (requested ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(Supported.Contains).Distinct(StringComparer.Ordinal));
}

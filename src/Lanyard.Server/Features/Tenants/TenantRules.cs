using Lanyard.Server.Common;

namespace Lanyard.Server.Features.Tenants;

/// <summary>
/// The rules of a tenant's descriptive fields, shared by every path that writes them (creation, the
/// management API's create, patch and upsert), so the same input gets the same violations everywhere.
/// </summary>
internal static class TenantRules
{
    public const int DisplayNameMaxLength = 200;
    public const int DescriptionMaxLength = 1000;
    public const int UrlMaxLength = 2000;

    /// <summary>Public and restricted metadata: a JSON object of at most this many characters (compact form).</summary>
    public const int MetadataMaxLength = 16_000;

    /// <summary>The trimmed display name; adds <c>required</c> or <c>too_long</c>.</summary>
    public static string? DisplayName(string? value, ConstraintViolations violations, string field = "displayName")
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            violations.Add(field, ViolationCodes.Required);
            return null;
        }

        if (trimmed.Length > DisplayNameMaxLength)
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = DisplayNameMaxLength });
            return null;
        }

        return trimmed;
    }

    /// <summary>The trimmed description, null when blank; adds <c>too_long</c>.</summary>
    public static string? Description(string? value, ConstraintViolations violations, string field = "description")
    {
        var trimmed = string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        if (trimmed is { Length: > DescriptionMaxLength })
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = DescriptionMaxLength });
            return null;
        }

        return trimmed;
    }

    /// <summary>
    /// A URL that browsers load on Lanyard's pages (a logo, a user's picture), null when blank. Absolute,
    /// https (plain http only on loopback hosts), without user information: a <c>javascript:</c> or
    /// <c>data:</c> URL must never reach an <c>img</c> tag, and credentials in a URL leak through referrers.
    /// </summary>
    public static string? ImageUrl(string? value, ConstraintViolations violations, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Length > UrlMaxLength)
        {
            violations.Add(field, ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = UrlMaxLength });
            return null;
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || value.Trim() != value
            || !string.IsNullOrEmpty(uri.UserInfo)
            || !(uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback || uri.Host.EndsWith(".localhost", StringComparison.Ordinal)))))
        {
            violations.Add(field, ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["pattern"] = "absolute https URL" });
            return null;
        }

        return value;
    }
}

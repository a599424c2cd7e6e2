namespace Lanyard.Server.Features.Clients;

/// <summary>
/// Registration-time rules for redirect, login and logout URIs (RFC 9700 §2.6, checklist item 2): absolute,
/// https (plain http only on loopback hosts, for development), no user information, no fragment, and a
/// tenant placeholder only as the leftmost label of the host.
/// </summary>
internal static class RedirectUriRules
{
    private const string Placeholder = "tenantplaceholder";

    public static string? Problem(string? uri)
    {
        if (string.IsNullOrWhiteSpace(uri) || uri.Length > 2000 || uri.Trim() != uri || uri.Any(char.IsControl))
        {
            return "must be an absolute URI without spaces or control characters";
        }

        // Check the URI with the placeholder standing in as a plain label.
        var probe = uri.Replace("{tenant_domain}", Placeholder, StringComparison.Ordinal).Replace("{tenant_name}", Placeholder, StringComparison.Ordinal);
        if (probe.Contains('{', StringComparison.Ordinal) || probe.Contains('}', StringComparison.Ordinal))
        {
            return "may contain only the {tenant_domain} or {tenant_name} placeholder";
        }

        if (!Uri.TryCreate(probe, UriKind.Absolute, out var parsed))
        {
            return "must be an absolute URI";
        }

        if (parsed.Scheme != Uri.UriSchemeHttps && !(parsed.Scheme == Uri.UriSchemeHttp && IsLoopback(parsed.Host)))
        {
            return "must use https (http is allowed only for localhost)";
        }

        if (!string.IsNullOrEmpty(parsed.UserInfo) || probe.Contains('@', StringComparison.Ordinal))
        {
            return "must not contain user information";
        }

        if (probe.Contains('#', StringComparison.Ordinal))
        {
            return "must not contain a fragment";
        }

        var placeholderAt = parsed.Host.IndexOf(Placeholder, StringComparison.Ordinal);
        if (probe.Contains(Placeholder, StringComparison.Ordinal) && (placeholderAt != 0 || parsed.Host.LastIndexOf(Placeholder, StringComparison.Ordinal) != 0
            || !parsed.Host.StartsWith(Placeholder + ".", StringComparison.Ordinal)))
        {
            return "may use the tenant placeholder only as the first label of the host";
        }

        return null;
    }

    private static bool IsLoopback(string host) =>
        host is "localhost" or "127.0.0.1" or "[::1]" || host.EndsWith(".localhost", StringComparison.Ordinal);
}

namespace Lanyard.Server.Common;

/// <summary>
/// The one place that decides how case-insensitive keys (emails, usernames, tenant names, host names)
/// are compared. Uniqueness indexes are built on these values, never on the raw input.
/// </summary>
internal static class Normalize
{
    public static string Key(string value) => value.Trim().ToLowerInvariant();

    public static string? KeyOrNull(string? value) => string.IsNullOrWhiteSpace(value) ? null : Key(value);

    /// <summary>Host name without port, lowercase, without a trailing dot.</summary>
    public static string Host(string hostWithOptionalPort)
    {
        var host = hostWithOptionalPort.Trim();
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            host = close > 0 ? host[..(close + 1)] : host;
        }
        else
        {
            var colon = host.LastIndexOf(':');
            if (colon >= 0)
            {
                host = host[..colon];
            }
        }

        return host.TrimEnd('.').ToLowerInvariant();
    }
}

namespace Lanyard.Server.Features.Login;

/// <summary>
/// The login page sends the browser back only to this host's authorize endpoint. Anything else —
/// <c>//evil.com</c>, <c>/\evil.com</c>, encoded slashes, absolute URLs, another tenant's host — is
/// ignored, so the login page is never an open redirector (RFC 9700 §4.11).
/// </summary>
internal static class ReturnUrls
{
    private const string Authorize = Features.Authorize.AuthorizeEndpoint.Path + "?";

    public static bool IsAuthorizeUrl(string? url) =>
        url is { Length: > 0 and <= 8192 }
        && url.StartsWith(Authorize, StringComparison.Ordinal)
        && !url.Contains('\\', StringComparison.Ordinal)
        && !url.Any(char.IsControl)
        && !url.Contains('#', StringComparison.Ordinal);
}

namespace Lanyard.Server.Features.Policies;

/// <summary>What the hosted pages' layout shows of the page branding in force.</summary>
/// <param name="Stylesheet">The CSS custom properties (<see cref="PageBrandingCss"/>).</param>
/// <param name="Version">The stylesheet's fingerprint, for its URL.</param>
/// <param name="LogoUrl">The branding's logo, when it is a valid https URL.</param>
/// <param name="ThemeColor">The primary colour, for the browser's <c>theme-color</c>.</param>
internal sealed record PageBrandingView(string Stylesheet, string Version, string? LogoUrl, string? ThemeColor)
{
    public string StylesheetUrl => $"{PageBrandingReader.Path}?v={Version}";
}

/// <summary>
/// Resolves the page branding of the request's scope — the tenant's own copy while its override is on on
/// a tenant host, the application's on the application host (Wristband: a tenant's branding does not
/// apply to application-level pages) — once per request, for the layout and for <c>/branding.css</c>.
/// </summary>
internal sealed class PageBrandingReader(PolicyResolver policies)
{
    public const string Path = "/branding.css";

    private PageBrandingView? _current;

    public async Task<PageBrandingView> CurrentAsync(CancellationToken cancellationToken)
    {
        if (_current is not null)
        {
            return _current;
        }

        var branding = await policies.GetAsync<PageBrandingPolicy>(PolicyKind.PageBranding, cancellationToken: cancellationToken);
        var css = PageBrandingCss.Render(branding);
        _current = new PageBrandingView(
            css,
            PageBrandingCss.Version(css),
            PolicyFields.IsHttpsUrl(branding.LogoUrl) ? branding.LogoUrl : null,
            PolicyFields.IsColor(branding.PrimaryButtonBackgroundColor) ? branding.PrimaryButtonBackgroundColor : null);
        return _current;
    }

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet(Path, async (HttpContext http, PageBrandingReader reader, CancellationToken cancellationToken) =>
        {
            var view = await reader.CurrentAsync(cancellationToken);

            // The layout links the current fingerprint: that URL's content never changes, any other is re-checked.
            http.Response.Headers.CacheControl = string.Equals(http.Request.Query["v"], view.Version, StringComparison.Ordinal)
                ? "public, max-age=31536000, immutable"
                : "no-cache";
            return TypedResults.Text(view.Stylesheet, "text/css; charset=utf-8");
        });
}

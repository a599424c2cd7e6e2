using System.Text.Encodings.Web;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Tenants;

namespace Lanyard.Server.Features.Authorize;

/// <summary>
/// A complete HTML page rendered by a protocol endpoint: the authorization error page (shown instead of
/// redirecting when the client or redirect URI cannot be trusted) and the signed-out page. Every value is
/// HTML-encoded; the look is the same stylesheet as the hosted pages.
/// </summary>
internal static class ErrorPage
{
    public static IResult Render(string message, Application application, Tenant? tenant, int status = StatusCodes.Status400BadRequest) =>
        Page("Sign-in could not continue", message, application, tenant, status);

    public static IResult Page(string title, string message, Application application, Tenant? tenant, int status = StatusCodes.Status200OK)
    {
        var html = HtmlEncoder.Default;
        var brand = html.Encode(tenant?.DisplayName ?? application.DisplayName);
        var body = $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <meta name="viewport" content="width=device-width, initial-scale=1">
              <title>{html.Encode(title)} · {brand}</title>
              <link rel="stylesheet" href="/css/lanyard.css">
            </head>
            <body>
              <main class="panel" role="main">
                <p class="brand">{brand}</p>
                <h1>{html.Encode(title)}</h1>
                <p class="message" data-testid="message">{html.Encode(message)}</p>
              </main>
            </body>
            </html>
            """;
        return TypedResults.Content(body, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
    }
}

using System.Text;
using System.Text.Encodings.Web;

namespace Lanyard.Server.Features.Authorize;

/// <summary>
/// Delivers an authorization response (code or error) to a trusted redirect URI: as query parameters on a
/// 302 (the default), or, for <c>response_mode=form_post</c> (OAuth 2.0 Form Post Response Mode), as an
/// HTML form the browser posts there at once. Never used before the client and redirect URI are checked.
/// </summary>
internal static class AuthorizationResponse
{
    public static IResult Send(string redirectUri, IEnumerable<KeyValuePair<string, string?>> parameters, bool formPost)
    {
        if (!formPost)
        {
            return TypedResults.Redirect(RedirectUris.AppendQuery(redirectUri, parameters));
        }

        var html = HtmlEncoder.Default;
        var fields = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            if (value is not null)
            {
                fields.Append(System.Globalization.CultureInfo.InvariantCulture,
                    $"<input type=\"hidden\" name=\"{html.Encode(name)}\" value=\"{html.Encode(value)}\">");
            }
        }

        var body = $"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Signing in…</title><link rel="stylesheet" href="/css/lanyard.css"></head>
            <body>
              <main class="panel" role="main">
                <form method="post" action="{html.Encode(redirectUri)}">{fields}
                  <noscript><p class="message">Continue to the application.</p><button type="submit">Continue</button></noscript>
                </form>
              </main>
              <script src="/js/form-post.js"></script>
            </body>
            </html>
            """;
        return new FormPostResult(body);
    }

    private sealed class FormPostResult(string body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.CacheControl = "no-store";
            httpContext.Response.ContentType = "text/html; charset=utf-8";
            return httpContext.Response.WriteAsync(body, httpContext.RequestAborted);
        }
    }
}

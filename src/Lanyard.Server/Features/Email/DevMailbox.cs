using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Email;

/// <summary>
/// <c>/_dev/mailbox</c> on the application host, in development only: what the outbox holds for this
/// application, newest first, with each email's text and a preview of its HTML. Action links in it are
/// live credentials, which is why the page does not exist outside development.
/// </summary>
internal static class DevMailbox
{
    private const int Shown = 100;

    public static void MapDevMailbox(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/_dev/mailbox", ListAsync).OnHost(HostKind.Application).ExcludeFromDescription();
        routes.MapGet("/_dev/mailbox/{id}/html", HtmlAsync).OnHost(HostKind.Application).ExcludeFromDescription();
    }

    private static async Task<IResult> ListAsync(HttpContext http, ServerSettings settings, LanyardDbContext db, CancellationToken cancellationToken)
    {
        if (!settings.IsDevelopment)
        {
            return TypedResults.NotFound();
        }

        var messages = await db.OutboxMessages.AsNoTracking().OrderByDescending(m => m.CreatedAt).ThenByDescending(m => m.Id).Take(Shown)
            .ToListAsync(cancellationToken);
        var html = HtmlEncoder.Default;
        var body = new StringBuilder();
        body.Append("<h1>Development mailbox</h1><p class=\"message\">Every email this application queued, newest first (at most ")
            .Append(Shown).Append("). This page exists only in development.</p>");
        if (messages.Count == 0)
        {
            body.Append("<p class=\"message\" data-testid=\"empty\">No email yet.</p>");
        }

        foreach (var m in messages)
        {
            body.Append("<article class=\"mail\" data-testid=\"mail\"><h2>").Append(html.Encode(m.Subject ?? "(subject removed after delivery)")).Append("</h2>")
                .Append("<p class=\"meta\">To ").Append(html.Encode(m.ToAddress)).Append(" · ").Append(html.Encode(m.Type)).Append(" · ")
                .Append(html.Encode(m.Status.ToString())).Append(" · ")
                .Append(m.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)).Append(" UTC");
            if (m.HtmlBody is not null)
            {
                body.Append(" · <a href=\"/_dev/mailbox/").Append(html.Encode(m.Id)).Append("/html\" target=\"_blank\" rel=\"noopener\">view HTML</a>");
            }

            body.Append("</p><pre>").Append(html.Encode(m.TextBody ?? "")).Append("</pre></article>");
        }

        var page = $"""
            <!DOCTYPE html>
            <html lang="en">
            <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Mailbox · Lanyard development</title><link rel="stylesheet" href="/css/lanyard.css"></head>
            <body><main class="panel wide" role="main">{body}</main></body>
            </html>
            """;
        return TypedResults.Content(page, "text/html; charset=utf-8", Encoding.UTF8);
    }

    private static async Task<IResult> HtmlAsync(string id, HttpContext http, ServerSettings settings, LanyardDbContext db, CancellationToken cancellationToken)
    {
        if (!settings.IsDevelopment)
        {
            return TypedResults.NotFound();
        }

        var message = await db.OutboxMessages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == id, cancellationToken);
        if (message?.HtmlBody is null)
        {
            return TypedResults.NotFound();
        }

        // The email as a mail client would show it: inline styles allowed, no script, its own sandbox.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; sandbox allow-popups allow-popups-to-escape-sandbox";
        return TypedResults.Content(message.HtmlBody, "text/html; charset=utf-8", Encoding.UTF8);
    }
}

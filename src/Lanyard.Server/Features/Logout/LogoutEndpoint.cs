using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Authorize;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Logout;

/// <summary>
/// <c>GET /api/v1/logout</c> on a tenant host: ends the auth session (server-side row and cookie), then
/// redirects to, in order: <c>redirect_url</c> if it is one of the application's registered logout URLs
/// (never an arbitrary URL: no open redirect), the client's login URL, the application's login URL; or
/// shows a signed-out page.
/// </summary>
internal static partial class LogoutEndpoint
{
    public const string Path = "/api/v1/logout";

    public static void MapLogoutEndpoint(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(Path, HandleAsync).OnHost(HostKind.Tenant).ExcludeFromDescription();
        routes.MapGet(Path, HandleOnApplicationHostAsync).OnHost(HostKind.Application).ExcludeFromDescription();
    }

    /// <summary>
    /// RP-initiated logout from a standard OIDC client, which knows only the issuer: the session lives on
    /// the tenant's host, so the request is forwarded there, to the tenant named by a valid id_token_hint.
    /// </summary>
    private static async Task<IResult> HandleOnApplicationHostAsync(HttpContext http, SigningKeyRing keys, LanyardDbContext db)
    {
        var application = http.RequiredApplication();
        http.Response.Headers.CacheControl = "no-store";
        string? hint = http.Request.Query["id_token_hint"];
        var claims = string.IsNullOrEmpty(hint) ? null : await IdTokenHint.ReadAsync(hint, application, keys, http.RequestAborted);
        var tenantId = claims?.Claim("tnt_id");
        var tenant = tenantId is null ? null : await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId, http.RequestAborted);
        if (tenant is null)
        {
            return ErrorPage.Page("Sign-out could not continue", "The sign-out request does not say which organization to sign out of.", application, null, StatusCodes.Status400BadRequest);
        }

        return TypedResults.Redirect(RedirectUris.AppendQuery($"https://{application.TenantHost(tenant)}{Path}",
            http.Request.Query.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value.ToString()))));
    }

    private static async Task<IResult> HandleAsync(HttpContext http, SessionCookie sessions, LanyardDbContext db, SigningKeyRing keys, ILoggerFactory loggers)
    {
        var cancellationToken = http.RequestAborted;
        var application = http.RequiredApplication();
        var tenant = http.RequiredTenant();
        await sessions.EndAsync(http, cancellationToken);
        http.Response.Headers.CacheControl = "no-store";

        string? clientId = http.Request.Query["client_id"];

        // OIDC RP-Initiated Logout §2: an id_token_hint that is forged, unsigned (alg:none), of another issuer,
        // of another tenant or of another client than client_id proves nothing about who asked, so nothing
        // it came with is followed. The session still ends; the browser sees the signed-out page, no redirect.
        string? hint = http.Request.Query["id_token_hint"];
        if (!string.IsNullOrEmpty(hint))
        {
            var claims = await IdTokenHint.ReadAsync(hint, application, keys, cancellationToken);
            var trusted = claims is not null
                && string.Equals(claims.Claim("tnt_id"), tenant.Id, StringComparison.Ordinal)
                && (string.IsNullOrEmpty(clientId) || string.Equals(claims.Claim("aud"), clientId, StringComparison.Ordinal));
            if (!trusted)
            {
                LogoutHintRefused(loggers.CreateLogger(typeof(LogoutEndpoint)), tenant.Id);
                return ErrorPage.Page("You have signed out", "You are signed out. The sign-out request could not be verified, so you were not sent back to the application.",
                    application, tenant, StatusCodes.Status400BadRequest);
            }
        }
        string? redirectUrl = http.Request.Query["redirect_url"];

        // OIDC RP-initiated logout names it post_logout_redirect_uri and expects state back on it.
        string? postLogoutUri = http.Request.Query["post_logout_redirect_uri"];
        var oidc = string.IsNullOrEmpty(redirectUrl) && !string.IsNullOrEmpty(postLogoutUri);
        if (oidc)
        {
            redirectUrl = postLogoutUri;
        }

        string? state = http.Request.Query["state"];
        if (state is { Length: > 512 })
        {
            state = null;
        }

        if (!string.IsNullOrEmpty(redirectUrl))
        {
            var allowed = application.LogoutUrls.Any(u =>
                string.Equals(u, redirectUrl, StringComparison.Ordinal)
                || string.Equals(RedirectUris.Substitute(u, tenant), redirectUrl, StringComparison.Ordinal));
            if (allowed)
            {
                return TypedResults.Redirect(oidc ? RedirectUris.AppendQuery(redirectUrl, [new("state", state)]) : redirectUrl);
            }

            LogoutRedirectRefused(loggers.CreateLogger(typeof(LogoutEndpoint)), tenant.Id);
        }

        var client = string.IsNullOrEmpty(clientId) ? null
            : await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == clientId, cancellationToken);
        var loginUrl = client?.LoginUrl ?? application.LoginUrl;
        if (loginUrl is not null)
        {
            var parameters = new List<KeyValuePair<string, string?>>();
            if (!RedirectUris.IsTemplate(loginUrl))
            {
                parameters.AddRange(RedirectUris.TenantParameters(tenant, null));
            }

            parameters.Add(new("state", state));
            return TypedResults.Redirect(RedirectUris.AppendQuery(RedirectUris.Substitute(loginUrl, tenant), parameters));
        }

        return ErrorPage.Page("You have signed out", $"You are signed out of {tenant.DisplayName}.", application, tenant);
    }

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning, Message = "Logout in tenant {TenantId} carried an id_token_hint that does not verify: no redirect")]
    private static partial void LogoutHintRefused(ILogger logger, string tenantId);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Logout in tenant {TenantId} ignored a redirect_url that is not a registered logout URL")]
    private static partial void LogoutRedirectRefused(ILogger logger, string tenantId);
}

using System.Text.Json;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// <c>GET|POST /api/v1/oauth2/userinfo</c> on the application host. The bearer token comes in the
/// Authorization header (or, for POST, the form body; never the query string). The token must be an
/// access token of this application, for a user, from a grant that is not revoked, whose user is still
/// active: a token of another application, a revoked grant or a client token gets 401.
/// </summary>
internal static class UserinfoEndpoint
{
    private static readonly JsonWebTokenHandler Handler = new();

    public static void MapUserinfoEndpoint(this IEndpointRouteBuilder routes) =>
        routes.MapMethods("/api/v1/oauth2/userinfo", [HttpMethods.Get, HttpMethods.Post], HandleAsync)
            .OnHost(HostKind.Application).DisableAntiforgery().ExcludeFromDescription();

    private static async Task HandleAsync(
        HttpContext http, SigningKeyRing keys, LanyardDbContext db, CustomClaimsDirectory claimMappings, TenantContext scope, TimeProvider time)
    {
        var cancellationToken = http.RequestAborted;
        http.Response.Headers.CacheControl = "no-store";
        if (http.Request.Query.ContainsKey("access_token"))
        {
            await ChallengeAsync(http, "invalid_request", "Send the access token in the Authorization header.", StatusCodes.Status400BadRequest);
            return;
        }

        var (token, twoMethods) = await ReadTokenAsync(http.Request, cancellationToken);
        if (twoMethods)
        {
            // RFC 6750 §2: a client must not send the token in more than one way; which one would count is ambiguous.
            await ChallengeAsync(http, "invalid_request", "Send the access token in one place only.", StatusCodes.Status400BadRequest);
            return;
        }

        if (token is null)
        {
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"lanyard\"";
            return;
        }

        var application = http.RequiredApplication();
        var claims = await ValidateAsync(token, application, keys, time, cancellationToken);
        if (claims is null || !claims.TryGetValue("gid", out var gid) || !claims.TryGetValue("tnt_id", out var tenantId)
            || !claims.TryGetValue("sub", out var sub) || claims.Claim("sub_kind") != "user")
        {
            await ChallengeAsync(http, "invalid_token", "The access token is invalid or has expired.");
            return;
        }

        var grantId = (string)gid;
        scope.Enter(application.Id, (string)tenantId);
        var userId = (string)sub;
        // One round trip: the user, provided the grant the token came from is still live (a revoked grant stops its access tokens here).
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId && db.Grants.Any(g => g.Id == grantId && g.RevokedAt == null))
            .FirstOrDefaultAsync(cancellationToken);
        if (user is not { Status: UserStatus.Active })
        {
            await ChallengeAsync(http, "invalid_token", "The access token is invalid or has expired.");
            return;
        }

        var scopes = Scopes.Parse(claims.Claim("scope"));
        var customClaims = await claimMappings.ForApplicationAsync(db, application.Id, cancellationToken);
        http.Response.ContentType = "application/json;charset=UTF-8";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("sub", user.Id);
        json.WriteString("tnt_id", user.TenantId);
        json.WriteString("app_id", application.Id);
        json.WriteString("idp_name", user.IdentityProviderName);
        UserClaims.Write(json, user, scopes);
        if (scopes.Contains(Scopes.Roles))
        {
            UserClaims.WriteRoles(json, await Roles.AssignedRoles.OfUserAsync(db, user.Id, cancellationToken));
        }

        UserClaims.WriteCustomClaims(json, user, customClaims);

        json.WriteEndObject();
        await json.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// The bearer token from the Authorization header (RFC 6750 §2.1) or, for a form-encoded POST, from the
    /// <c>access_token</c> body parameter (§2.2, which OIDC Core §5.3.1 allows at userinfo); never the query.
    /// </summary>
    private static async Task<(string? Token, bool TwoMethods)> ReadTokenAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization.ToString();
        string? fromHeader = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        string? fromBody = null;
        if (HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(cancellationToken);
            if (form.ContainsKey("access_token"))
            {
                if (fromHeader is not null)
                {
                    return (null, true);
                }

                fromBody = form["access_token"] is { Count: 1 } value ? value.ToString() : null;
            }
        }

        return (fromHeader ?? fromBody, false);
    }

    /// <summary>The claims of an access token of this application, or null. Signature, issuer, type, algorithm and lifetime are all checked.</summary>
    internal static async Task<IDictionary<string, object>?> ValidateAsync(
        string token, Application application, SigningKeyRing keys, TimeProvider time, CancellationToken cancellationToken)
    {
        var keySet = await keys.GetAsync(application.Id, cancellationToken);
        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = TokenIssuer.Issuer(application),
            ValidateAudience = false,
            IssuerSigningKeys = keySet.ValidationKeys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidTypes = ["at+jwt"],
            // Lifetime by the server's clock (TimeProvider), with 30 s of skew; exp is required.
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } exp && now < exp.AddSeconds(30) && (notBefore is not { } nbf || nbf.AddSeconds(-30) <= now);
            },
        });
        return result.IsValid && result.Claims.TryGetValue("app_id", out var appId) && (string)appId == application.Id ? result.Claims : null;
    }

    private static async Task ChallengeAsync(HttpContext http, string error, string description, int status = StatusCodes.Status401Unauthorized)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.WWWAuthenticate = $"Bearer realm=\"lanyard\", error=\"{error}\", error_description=\"{description}\"";
        await http.Response.WriteAsJsonAsync(new { error, error_description = description }, http.RequestAborted);
    }
}

internal static class ClaimsExtensions
{
    public static string? Claim(this IDictionary<string, object> claims, string name) =>
        claims.TryGetValue(name, out var value) ? value as string : null;
}

using Lanyard.Server.Common;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// <c>POST /api/v1/oauth2/revoke</c> (RFC 7009) on the application host. The client authenticates; a
/// refresh token or access token it holds revokes the whole grant. Unknown tokens, and tokens of other
/// clients, get the same 200 so the endpoint reveals nothing.
/// </summary>
internal static class RevokeEndpoint
{
    public static void MapRevokeEndpoint(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/v1/oauth2/revoke", HandleAsync).OnHost(HostKind.Application).DisableAntiforgery().ExcludeFromDescription();

    private static async Task HandleAsync(
        HttpContext http, ClientAuthenticator authenticator, LanyardDbContext db, GrantSubject subjects, SigningKeyRing keys, TimeProvider time)
    {
        var cancellationToken = http.RequestAborted;
        if (!http.Request.HasFormContentType)
        {
            await TokenEndpoint.WriteErrorAsync(http, TokenError.InvalidRequest("The request must be application/x-www-form-urlencoded."));
            return;
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var authentication = await authenticator.AuthenticateAsync(http.Request, form, cancellationToken);
        if (authentication is ClientAuthentication.Failed failed)
        {
            await TokenEndpoint.WriteErrorAsync(http, failed.Error);
            return;
        }

        var client = ((ClientAuthentication.Authenticated)authentication).Client;

        string token = form["token"].ToString();
        if (string.IsNullOrEmpty(token))
        {
            await TokenEndpoint.WriteErrorAsync(http, TokenError.InvalidRequest("The token parameter is missing."));
            return;
        }

        string? grantId = null;
        if (token.Length <= 100)
        {
            var hash = OpaqueToken.Hash(token);
            grantId = await db.RefreshTokens.Where(t => t.TokenHash == hash && t.ClientId == client.Id).Select(t => t.GrantId).FirstOrDefaultAsync(cancellationToken);
        }
        else if (await UserinfoEndpoint.ValidateAsync(token, http.RequiredApplication(), keys, time, cancellationToken) is { } claims
                 && claims.Claim("client_id") == client.Id)
        {
            grantId = claims.Claim("gid");
        }

        if (grantId is not null)
        {
            await subjects.RevokeAsync(grantId, "revoked_by_client", cancellationToken);
        }

        http.Response.StatusCode = StatusCodes.Status200OK;
    }
}

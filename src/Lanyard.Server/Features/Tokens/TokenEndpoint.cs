using System.Text.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Tenancy;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// <c>POST /api/v1/oauth2/token</c> on the application host. Answers exactly 200 with all six keys
/// Wristband's SDKs read (<c>access_token, token_type, expires_in, refresh_token, id_token, scope</c>;
/// null where not issued), or an RFC 6749 error; never cacheable.
/// </summary>
internal static class TokenEndpoint
{
    public static void MapTokenEndpoint(this IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/v1/oauth2/token", HandleAsync).OnHost(HostKind.Application).DisableAntiforgery().ExcludeFromDescription();

    private static async Task HandleAsync(
        HttpContext http, ClientAuthenticator authenticator, TokenIssuer issuer)
    {
        var cancellationToken = http.RequestAborted;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers.Pragma = "no-cache";

        if (!http.Request.HasFormContentType)
        {
            await WriteErrorAsync(http, TokenError.InvalidRequest("The request must be application/x-www-form-urlencoded."));
            return;
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        if (form.Any(p => p.Value.Count > 1))
        {
            // RFC 6749 §3.2: parameters must not be repeated.
            await WriteErrorAsync(http, TokenError.InvalidRequest("A parameter was sent more than once."));
            return;
        }

        var authentication = await authenticator.AuthenticateAsync(http.Request, form, cancellationToken);
        if (authentication is ClientAuthentication.Failed failed)
        {
            await WriteErrorAsync(http, failed.Error);
            return;
        }

        var client = ((ClientAuthentication.Authenticated)authentication).Client;
        var application = http.RequiredApplication();
        // The exchanges are built only for their own grant: they hold the request's database context, which
        // client_credentials (answered from caches) never needs built.
        var outcome = form["grant_type"].ToString() switch
        {
            "authorization_code" => await http.RequestServices.GetRequiredService<CodeExchange>().ExchangeAsync(application, client, form, cancellationToken),
            "refresh_token" => await http.RequestServices.GetRequiredService<RefreshExchange>().ExchangeAsync(application, client, form, cancellationToken),
            "client_credentials" => client.Type == OAuthClientType.MachineToMachine && client.GrantTypes.Contains(GrantTypes.ClientCredentials)
                ? await issuer.ForClientAsync(application, client, form["scope"].ToString(), cancellationToken)
                : TokenError.UnauthorizedClient("The client may not use the client credentials grant."),
            "" => TokenError.InvalidRequest("The grant_type parameter is missing."),
            _ => TokenError.UnsupportedGrantType("Supported grant types: authorization_code, refresh_token, client_credentials."),
        };

        switch (outcome)
        {
            case TokenOutcome.Issued issued:
                await WriteTokensAsync(http, issued.Tokens);
                break;
            case TokenOutcome.Refused refused:
                await WriteErrorAsync(http, refused.Error);
                break;
        }
    }

    private static async Task WriteTokensAsync(HttpContext http, IssuedTokens tokens)
    {
        http.Response.ContentType = "application/json;charset=UTF-8";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("access_token", tokens.AccessToken);
        json.WriteString("token_type", "Bearer");
        json.WriteNumber("expires_in", tokens.ExpiresIn);
        json.WriteString("refresh_token", tokens.RefreshToken);
        json.WriteString("id_token", tokens.IdToken);
        json.WriteString("scope", tokens.Scope);
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }

    internal static async Task WriteErrorAsync(HttpContext http, TokenError error)
    {
        http.Response.StatusCode = error.Status;
        http.Response.Headers.CacheControl = "no-store";
        if (error.Status == StatusCodes.Status401Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"lanyard\"";
        }
        else if (error.Status == StatusCodes.Status429TooManyRequests)
        {
            http.Response.Headers.RetryAfter = "60";
        }

        http.Response.ContentType = "application/json;charset=UTF-8";
        await using var json = new Utf8JsonWriter(http.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("error", error.Error);
        json.WriteString("error_description", error.Description);
        json.WriteEndObject();
        await json.FlushAsync(http.RequestAborted);
    }
}

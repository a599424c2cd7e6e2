using System.Text.Json;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Discovery;

/// <summary>
/// The published metadata of an application: JWKS, OpenID Provider metadata and Wristband's
/// sdk-configuration. All on the application host, all anonymous, all answered directly (no redirects:
/// Wristband's Express SDK follows none).
/// </summary>
internal static class DiscoveryEndpoints
{
    private static readonly string[] ResponseTypes = ["code"];
    private static readonly string[] ResponseModes = ["query", "form_post"];
    private static readonly string[] GrantTypeValues = ["authorization_code", "refresh_token", "client_credentials"];
    private static readonly string[] SubjectTypes = ["public"];
    private static readonly string[] SigningAlgorithms = ["RS256"];
    private static readonly string[] AuthMethods = ["client_secret_basic", "client_secret_post", "none"];
    private static readonly string[] ChallengeMethods = ["S256"];
    private static readonly string[] PromptValues = ["none", "login"];
    private static readonly string[] ClaimsSupported =
    [
        "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "at_hash", "azp", "sid", "tnt_id", "app_id", "idp_name",
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "picture", "gender",
        "birthdate", "zoneinfo", "locale", "updated_at", "email", "email_verified", "phone_number", "phone_number_verified"
    ];

    public static void MapDiscoveryEndpoints(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/oauth2/jwks", JwksAsync).OnHost(HostKind.Application).ExcludeFromDescription();
        routes.MapGet("/.well-known/openid-configuration", Metadata).OnHost(HostKind.Application).ExcludeFromDescription();
        routes.MapGet("/api/v1/clients/{clientId}/sdk-configuration", SdkConfigurationAsync).OnHost(HostKind.Application).ExcludeFromDescription();
    }

    private static async Task<IResult> JwksAsync(HttpContext http, SigningKeyRing keys)
    {
        var set = await keys.GetAsync(http.RequiredApplication().Id, http.RequestAborted);
        http.Response.Headers.CacheControl = "public, max-age=300";
        http.Response.Headers.AccessControlAllowOrigin = "*";
        return TypedResults.Bytes(set.JwksJson, "application/json");
    }

    private static JsonHttpResult<Dictionary<string, object>> Metadata(HttpContext http)
    {
        var application = http.RequiredApplication();
        var issuer = TokenIssuer.Issuer(application);
        http.Response.Headers.AccessControlAllowOrigin = "*";
        return TypedResults.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer,

            // On the application host authorize first asks for the tenant, then continues on the tenant's host
            // (which Wristband's SDKs address directly).
            ["authorization_endpoint"] = $"{issuer}/api/v1/oauth2/authorize",
            ["token_endpoint"] = $"{issuer}/api/v1/oauth2/token",
            ["userinfo_endpoint"] = $"{issuer}/api/v1/oauth2/userinfo",
            ["revocation_endpoint"] = $"{issuer}/api/v1/oauth2/revoke",
            ["jwks_uri"] = $"{issuer}/api/v1/oauth2/jwks",
            ["end_session_endpoint"] = $"{issuer}/api/v1/logout",
            ["scopes_supported"] = Scopes.Supported,
            ["response_types_supported"] = ResponseTypes,
            ["response_modes_supported"] = ResponseModes,
            ["grant_types_supported"] = GrantTypeValues,
            ["subject_types_supported"] = SubjectTypes,
            ["id_token_signing_alg_values_supported"] = SigningAlgorithms,
            ["token_endpoint_auth_methods_supported"] = AuthMethods,
            ["revocation_endpoint_auth_methods_supported"] = AuthMethods,
            ["code_challenge_methods_supported"] = ChallengeMethods,
            ["claims_supported"] = ClaimsSupported,
            ["prompt_values_supported"] = PromptValues,
            ["authorization_response_iss_parameter_supported"] = true,
            ["request_parameter_supported"] = false,
            ["request_uri_parameter_supported"] = false,
            ["claims_parameter_supported"] = false,
        });
    }

    /// <summary>
    /// Wristband's SDK auto-configuration: anonymous (Basic is accepted and ignored), camelCase, and
    /// never a null <c>loginUrl</c> or <c>redirectUri</c> when the client has them, because several
    /// SDKs fail on null.
    /// </summary>
    private static async Task<IResult> SdkConfigurationAsync(string clientId, HttpContext http, LanyardDbContext db)
    {
        var application = http.RequiredApplication();
        var client = await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == clientId, http.RequestAborted);
        if (client is null || client.Type == OAuthClientType.MachineToMachine)
        {
            return TypedResults.Json(new { error = "client_not_found", error_description = "No such client." }, statusCode: StatusCodes.Status404NotFound);
        }

        var loginUrl = client.LoginUrl ?? application.LoginUrl;
        var redirectUri = client.RedirectUris.Count > 0 ? client.RedirectUris[0] : null;
        var usesTemplate = (loginUrl ?? "").Contains("{tenant_", StringComparison.Ordinal);
        return TypedResults.Json(new Dictionary<string, object?>
        {
            ["customApplicationLoginPageUrl"] = null,
            ["isApplicationCustomDomainActive"] = application.TenantHostStyle == TenantHostStyle.Dot,
            ["loginUrl"] = loginUrl ?? "",
            ["loginUrlTenantDomainSuffix"] = usesTemplate ? TenantDomainSuffix(loginUrl!) : null,
            ["redirectUri"] = redirectUri ?? "",
        }, JsonOptions);
    }

    /// <summary>For <c>https://{tenant_domain}.app.example.com:6001/auth/login</c>: <c>app.example.com</c> (no dot, no port).</summary>
    private static string? TenantDomainSuffix(string template)
    {
        var hostStart = template.IndexOf("://", StringComparison.Ordinal) + 3;
        var hostEnd = template.IndexOfAny(['/', '?'], hostStart);
        var host = hostEnd < 0 ? template[hostStart..] : template[hostStart..hostEnd];
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return null;
        }

        var suffix = host[(dot + 1)..];
        var colon = suffix.LastIndexOf(':');
        return colon >= 0 ? suffix[..colon] : suffix;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never,
    };
}

using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lanyard.Server.Features.Tokens;

/// <summary>The tokens of one successful token request, before they are written as JSON.</summary>
internal sealed record IssuedTokens(string AccessToken, int ExpiresIn, string Scope, string? IdToken = null, string? RefreshToken = null);

/// <summary>
/// Mints RS256 JWTs. Access tokens carry Wristband's claims (<c>sub, tnt_id, app_id, idp_name,
/// client_id, scope, auth_time, amr, sub_kind, iat, exp, jti</c>) with <c>typ: at+jwt</c>, the issuer
/// <c>https://{vanity domain}</c> without a trailing slash, and <c>gid</c>, the grant they came from,
/// so revoking a grant also stops its access tokens at userinfo. With the <c>roles</c> scope the access and
/// ID tokens carry <c>roles: [{id, name, display_name}]</c>, read at every issue (code and refresh), so a
/// role change shows at the next refresh; client-credentials tokens carry the client's roles when asked with <c>scope=roles</c>.
/// </summary>
internal sealed class TokenIssuer(SigningKeyRing keys, ServerSettings settings, TimeProvider time, DbContextOnDemand db, CustomClaimsDirectory claimMappings)
{
    private static readonly JsonWebTokenHandler Handler = new() { SetDefaultTimesOnTokenCreation = false };
    private static readonly Dictionary<string, object> AccessTokenHeader = new(StringComparer.Ordinal) { ["typ"] = "at+jwt" };

    public static string Issuer(Application application) => "https://" + application.VanityDomain;

    public async Task<IssuedTokens> ForUserAsync(
        Application application, OAuthClient client, User user, Grant grant, string scope, string? nonce, string? refreshToken, CancellationToken cancellationToken)
    {
        var keySet = await keys.GetAsync(application.Id, cancellationToken);
        var now = time.GetUtcNow();
        var lifetime = settings.Protocol.AccessTokenLifetime;
        var scopes = Scopes.Parse(scope);
        // Read in the user's tenant scope, which GrantSubject entered before any token is issued.
        var roles = scopes.Contains(Scopes.Roles) ? await AssignedRoles.OfUserAsync(db.Context, user.Id, cancellationToken) : null;
        var customClaims = await claimMappings.ForApplicationAsync(db.Context, application.Id, cancellationToken);

        var access = Handler.CreateToken(Json(w =>
        {
            w.WriteString("iss", Issuer(application));
            w.WriteString("sub", user.Id);
            w.WriteString("tnt_id", user.TenantId);
            w.WriteString("app_id", application.Id);
            w.WriteString("idp_name", user.IdentityProviderName);
            w.WriteString("van_dom", application.VanityDomain);
            w.WriteString("client_id", client.Id);
            w.WriteString("scope", scope);
            UserClaims.WriteRoles(w, roles);
            UserClaims.WriteCustomClaims(w, user, customClaims);
            w.WriteNumber("auth_time", grant.AuthTime.ToUnixTimeSeconds());
            WriteArray(w, "amr", grant.Amr);
            w.WriteString("sub_kind", "user");
            w.WriteString("gid", grant.Id);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            w.WriteString("jti", LanyardId.New(time));
        }), keySet.Signing, AccessTokenHeader);

        string? idToken = null;
        if (scopes.Contains(Scopes.OpenId))
        {
            idToken = Handler.CreateToken(Json(w =>
            {
                w.WriteString("iss", Issuer(application));
                w.WriteString("sub", user.Id);
                w.WriteString("aud", client.Id);
                w.WriteString("azp", client.Id);
                w.WriteNumber("iat", now.ToUnixTimeSeconds());
                w.WriteNumber("exp", (now + settings.Protocol.IdTokenLifetime).ToUnixTimeSeconds());
                w.WriteNumber("auth_time", grant.AuthTime.ToUnixTimeSeconds());
                if (nonce is not null)
                {
                    w.WriteString("nonce", nonce);
                }

                w.WriteString("at_hash", AtHash(access));
                WriteArray(w, "amr", grant.Amr);
                w.WriteString("tnt_id", user.TenantId);
                w.WriteString("app_id", application.Id);
                w.WriteString("idp_name", user.IdentityProviderName);
                if (grant.SessionId is not null)
                {
                    w.WriteString("sid", grant.SessionId);
                }

                UserClaims.Write(w, user, scopes);
                UserClaims.WriteRoles(w, roles);
                UserClaims.WriteCustomClaims(w, user, customClaims);
            }), keySet.Signing);
        }

        return new IssuedTokens(access, (int)lifetime.TotalSeconds, scope, idToken, refreshToken);
    }

    /// <param name="requestedScope">The request's <c>scope</c>: <c>roles</c> adds the client's roles; other values are not granted (RFC 6749 §3.3 lets the server narrow, and says so in the response).</param>
    public async Task<IssuedTokens> ForClientAsync(Application application, OAuthClient client, string? requestedScope, CancellationToken cancellationToken)
    {
        var keySet = await keys.GetAsync(application.Id, cancellationToken);
        var now = time.GetUtcNow();
        var lifetime = settings.Protocol.AccessTokenLifetime;
        // Only when asked for, as for users: the roles query is a quarter of this grant's cost, and most
        // machine callers (Wristband's SDKs among them) only need a token for Lanyard's own API.
        var withRoles = Scopes.Parse(requestedScope).Contains(Scopes.Roles);
        var roles = withRoles ? await AssignedRoles.OfClientAsync(db.Context, client.Id, cancellationToken) : null;
        var access = Handler.CreateToken(Json(w =>
        {
            w.WriteString("iss", Issuer(application));
            w.WriteString("sub", client.Id);
            w.WriteString("app_id", application.Id);
            w.WriteString("van_dom", application.VanityDomain);
            w.WriteString("client_id", client.Id);
            w.WriteString("sub_kind", "client");
            if (roles is not null)
            {
                w.WriteString("scope", Scopes.Roles);
                UserClaims.WriteRoles(w, roles);
            }

            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("exp", (now + lifetime).ToUnixTimeSeconds());
            w.WriteString("jti", LanyardId.New(time));
        }), keySet.Signing, AccessTokenHeader);
        return new IssuedTokens(access, (int)lifetime.TotalSeconds, withRoles ? Scopes.Roles : "");
    }

    /// <summary>OIDC Core §3.1.3.6: base64url of the left half of SHA-256 of the access token's ASCII.</summary>
    private static string AtHash(string accessToken)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.ASCII.GetBytes(accessToken), hash);
        return Base64Url.Encode(hash[..16]);
    }

    private static void WriteArray(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}

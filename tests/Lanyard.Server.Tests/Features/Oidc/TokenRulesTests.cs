using System.Net;
using System.Security.Cryptography;
using System.Text;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Tests.Features.Mfa;
using Lanyard.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>
/// Token rules per client type and across server instances: PKCE verifier syntax (item 20), rotation state in
/// the database (26), scope narrowing without openid (28), grants per client type (33), nonce (41), ID token
/// claims and signature (42), and the rotation default of each client type with its per-client override.
/// </summary>
public abstract class TokenRulesTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    private async Task<(TestClient Client, string TenantName, string Email)> UserAndClientAsync(OAuthClientType type, bool? rotation = null)
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(type, "https://app.example/cb", rotation: rotation);
        var tenant = await factory.CreateTenantAsync();
        var email = $"t{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        return (client, tenant.Name, email);
    }

    private static string ChallengeOf(string verifier) => Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    [Theory]
    [InlineData(42, 'a')]
    [InlineData(129, 'a')]
    [InlineData(43, '+')]
    [InlineData(43, ' ')]
    [InlineData(64, '/')]
    public async Task A_verifier_outside_the_rfc_7636_syntax_is_refused_even_when_its_challenge_matches(int length, char last)
    {
        var (client, tenantName, email) = await UserAndClientAsync(OAuthClientType.BackendServer);
        var verifier = new string('a', length - 1) + last;
        var challenge = ChallengeOf(verifier);
        Assert.Equal(43, challenge.Length); // a well-formed S256 challenge: only the verifier's syntax is wrong

        var callback = await _flow.AuthorizeAsync(_flow.Browser(tenantName), OAuthFlow.AuthorizeParameters(client, challenge), email);
        var response = await _flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], verifier);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(response));
    }

    [Fact]
    public async Task A_rotated_refresh_token_replayed_at_a_second_server_instance_revokes_the_family()
    {
        var (client, tenantName, email) = await UserAndClientAsync(OAuthClientType.Spa);
        var (tokens, _) = await _flow.LoginAsync(client, tenantName, email);
        var first = tokens.RefreshToken!;
        var second = (await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(client, first))).RefreshToken!;
        Assert.NotEqual(first, second);
        factory.Time.Advance(TimeSpan.FromMinutes(5)); // past the reuse leeway: a replay is theft, not a lost response

        await using var restarted = new SiblingLanyard(factory);
        var elsewhere = new OAuthFlow(restarted);
        var replay = await elsewhere.RefreshAsync(client, first);

        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(replay));
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await elsewhere.RefreshAsync(client, second)));
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await _flow.RefreshAsync(client, second)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task A_refresh_narrowed_to_drop_openid_issues_no_id_token()
    {
        var (client, tenantName, email) = await UserAndClientAsync(OAuthClientType.BackendServer);
        var (tokens, _) = await _flow.LoginAsync(client, tenantName, email);
        Assert.NotNull(tokens.IdToken);

        var narrowed = await OAuthFlow.ReadTokensAsync(await _flow.TokenRequestAsync(client, new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens.RefreshToken!,
            ["scope"] = "offline_access email",
        }));

        Assert.Null(narrowed.IdToken);
        Assert.Equal("offline_access email", narrowed.Scope);
        Assert.DoesNotContain("openid", new JsonWebToken(narrowed.AccessToken).GetClaim("scope").Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_native_client_keeps_its_refresh_token_by_default()
    {
        var (client, tenantName, email) = await UserAndClientAsync(OAuthClientType.Native);
        var (tokens, _) = await _flow.LoginAsync(client, tenantName, email);

        var refreshed = await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(client, tokens.RefreshToken!));

        Assert.Equal(tokens.RefreshToken, refreshed.RefreshToken);
        Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(client, tokens.RefreshToken!)).StatusCode);
    }

    [Theory]
    [InlineData(nameof(OAuthClientType.BackendServer), true)]
    [InlineData(nameof(OAuthClientType.Native), true)]
    [InlineData(nameof(OAuthClientType.Spa), false)]
    public async Task The_per_client_rotation_setting_overrides_the_client_types_default(string type, bool rotation)
    {
        var (client, tenantName, email) = await UserAndClientAsync(Enum.Parse<OAuthClientType>(type), rotation);
        var (tokens, _) = await _flow.LoginAsync(client, tenantName, email);

        var refreshed = await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(client, tokens.RefreshToken!));

        if (rotation)
        {
            Assert.NotEqual(tokens.RefreshToken, refreshed.RefreshToken);
            Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(client, refreshed.RefreshToken!)).StatusCode);
        }
        else
        {
            Assert.Equal(tokens.RefreshToken, refreshed.RefreshToken);
        }
    }

    [Theory]
    [InlineData(nameof(OAuthClientType.Spa))]
    [InlineData(nameof(OAuthClientType.Native))]
    [InlineData(nameof(OAuthClientType.BackendServer))]
    public async Task Browser_clients_get_no_implicit_hybrid_password_or_client_credentials_grant(string type)
    {
        var (client, tenantName, _) = await UserAndClientAsync(Enum.Parse<OAuthClientType>(type));
        var browser = _flow.Browser(tenantName);
        foreach (var responseType in new[] { "token", "id_token token", "code id_token", "id_token" })
        {
            var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
            parameters["response_type"] = responseType;
            var response = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("unsupported_response_type", OAuthFlow.Query(response.Headers.Location!)["error"]);
            Assert.DoesNotContain("access_token", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        var password = await _flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "password", ["username"] = "a", ["password"] = "b" });
        Assert.Equal("unsupported_grant_type", await OAuthFlow.ReadErrorAsync(password));
        var credentials = await _flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "client_credentials" });
        Assert.Equal("unauthorized_client", await OAuthFlow.ReadErrorAsync(credentials));
    }

    [Fact]
    public async Task Machine_to_machine_clients_get_no_browser_flow_password_code_or_refresh_grant()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.MachineToMachine, "https://app.example/cb");

        var authorize = await _flow.Browser(factory.Bootstrap.DemoTenantName).GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        Assert.Equal(HttpStatusCode.BadRequest, authorize.StatusCode);
        Assert.Null(authorize.Headers.Location);

        var password = await _flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "password", ["username"] = "a", ["password"] = "b" });
        Assert.Equal("unsupported_grant_type", await OAuthFlow.ReadErrorAsync(password));
        var code = await _flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = "x", ["code_verifier"] = new string('a', 43) });
        Assert.Equal("unauthorized_client", await OAuthFlow.ReadErrorAsync(code));
        var refresh = await _flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = "x" });
        Assert.Equal("unauthorized_client", await OAuthFlow.ReadErrorAsync(refresh));
        Assert.Equal(HttpStatusCode.OK, (await _flow.TokenRequestAsync(client, new Dictionary<string, string> { ["grant_type"] = "client_credentials" })).StatusCode);
    }

    [Fact]
    public async Task A_code_flow_without_nonce_succeeds_and_its_id_token_has_no_nonce()
    {
        var (client, tenantName, email) = await UserAndClientAsync(OAuthClientType.BackendServer);
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        parameters["nonce"] = null;

        var callback = await _flow.AuthorizeAsync(_flow.Browser(tenantName), parameters, email);
        var tokens = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], verifier));

        Assert.False(new JsonWebToken(tokens.IdToken!).TryGetClaim("nonce", out _));
    }

    [Fact]
    public async Task The_id_token_has_the_exact_issuer_audience_times_nonce_and_at_hash_and_verifies_against_the_jwks()
    {
        var (client, tenantName, email) = await UserAndClientAsync(OAuthClientType.BackendServer);
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        var callback = await _flow.AuthorizeAsync(_flow.Browser(tenantName), parameters, email);
        var tokens = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], verifier));
        var jwks = new JsonWebKeySet(await _flow.Backend().GetStringAsync("/api/v1/oauth2/jwks"));

        var validated = await new JsonWebTokenHandler().ValidateTokenAsync(tokens.IdToken, new TokenValidationParameters
        {
            ValidIssuer = "https://" + LanyardFactory.ApplicationHost,
            ValidAudience = client.Id,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidateLifetime = false, // checked below against the server's (fake) clock
        });

        Assert.True(validated.IsValid, validated.Exception?.Message);
        var idToken = new JsonWebToken(tokens.IdToken);
        Assert.Equal("RS256", idToken.Alg);
        Assert.Contains(jwks.Keys, k => k.Kid == idToken.Kid);
        Assert.Equal("https://auth.localhost", idToken.Issuer);
        Assert.Equal([client.Id], idToken.Audiences);
        Assert.Equal(parameters["nonce"], idToken.GetClaim("nonce").Value);
        var now = factory.Time.GetUtcNow().ToUnixTimeSeconds();
        var iat = long.Parse(idToken.GetClaim("iat").Value, System.Globalization.CultureInfo.InvariantCulture);
        var exp = long.Parse(idToken.GetClaim("exp").Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(iat, now - 5, now);
        Assert.InRange(exp - iat, 60, 24 * 3600);
        var expectedAtHash = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(tokens.AccessToken)).AsSpan(0, 16));
        Assert.Equal(expectedAtHash, idToken.GetClaim("at_hash").Value);

        // A forged signature does not verify against the published keys.
        var forged = tokens.IdToken![..^6] + (tokens.IdToken.EndsWith("AAAAAA", StringComparison.Ordinal) ? "BBBBBB" : "AAAAAA");
        var refused = await new JsonWebTokenHandler().ValidateTokenAsync(forged, new TokenValidationParameters
        {
            ValidIssuer = "https://" + LanyardFactory.ApplicationHost, ValidAudience = client.Id, IssuerSigningKeys = jwks.GetSigningKeys(), ValidateLifetime = false,
        });
        Assert.False(refused.IsValid);
    }
}

public sealed class TokenRulesOnSqlite(SqliteLanyard factory) : TokenRulesTests(factory), IClassFixture<SqliteLanyard>;

public sealed class TokenRulesOnPostgres(PostgresLanyard factory) : TokenRulesTests(factory), IClassFixture<PostgresLanyard>;

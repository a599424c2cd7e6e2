using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>Published metadata: OpenID Provider configuration, JWKS and key rotation, Wristband's sdk-configuration.</summary>
public abstract class DiscoveryAndKeysTests(LanyardFactory factory)
{
    private const string Issuer = "https://auth.localhost";
    private readonly OAuthFlow _flow = new(factory);

    private sealed record Jwk(string Kty, string Kid, string Use, string Alg, byte[] Modulus, byte[] Exponent);

    private async Task<List<Jwk>> JwksAsync()
    {
        var response = await _flow.Backend().GetAsync("/api/v1/oauth2/jwks");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return [.. json.RootElement.GetProperty("keys").EnumerateArray().Select(k => new Jwk(
            k.GetProperty("kty").GetString()!,
            k.GetProperty("kid").GetString()!,
            k.GetProperty("use").GetString()!,
            k.GetProperty("alg").GetString()!,
            Base64UrlEncoder.DecodeBytes(k.GetProperty("n").GetString()),
            Base64UrlEncoder.DecodeBytes(k.GetProperty("e").GetString())))];
    }

    private static async Task<TokenValidationResult> VerifyAsync(string token, IEnumerable<Jwk> keys) =>
        await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidateAudience = false,
            // The server's clock is fake; this checks the signature, not the lifetime.
            ValidateLifetime = false,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            IssuerSigningKeys = [.. keys.Select(k => new RsaSecurityKey(new RSAParameters { Modulus = k.Modulus, Exponent = k.Exponent }) { KeyId = k.Kid })],
        });

    private async Task<(TestClient Client, string RefreshToken)> LoginAsync()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = $"k{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        var (tokens, _) = await _flow.LoginAsync(_flow.DemoClient, tenant.Name, email);
        return (_flow.DemoClient, tokens.RefreshToken!);
    }

    private async Task<string> FreshAccessTokenAsync(TestClient client, string refreshToken) =>
        (await OAuthFlow.ReadTokensAsync(await _flow.RefreshAsync(client, refreshToken))).AccessToken;

    [Fact]
    public async Task Openid_configuration_names_the_exact_issuer_and_only_code_with_s256()
    {
        await factory.StartAsync();

        var response = await _flow.Backend().GetAsync("/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(Issuer, root.GetProperty("issuer").GetString());
        Assert.Equal(["S256"], root.GetProperty("code_challenge_methods_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["code"], root.GetProperty("response_types_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("openid", root.GetProperty("scopes_supported").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(Issuer + "/api/v1/oauth2/token", root.GetProperty("token_endpoint").GetString());
        Assert.Equal(Issuer + "/api/v1/oauth2/jwks", root.GetProperty("jwks_uri").GetString());
    }

    [Fact]
    public async Task Openid_configuration_does_not_exist_on_a_tenant_host()
    {
        await factory.StartAsync();

        var response = await factory.ClientFor(LanyardFactory.TenantHost(factory.Bootstrap.DemoTenantName)).GetAsync("/.well-known/openid-configuration");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Jwks_publishes_only_rs256_signing_keys_of_at_least_2048_bits_with_unique_kids()
    {
        await factory.StartAsync();

        var keys = await JwksAsync();

        Assert.NotEmpty(keys);
        Assert.All(keys, k =>
        {
            Assert.Equal("RSA", k.Kty);
            Assert.Equal("sig", k.Use);
            Assert.Equal("RS256", k.Alg);
            Assert.False(string.IsNullOrEmpty(k.Kid));
            Assert.True(k.Modulus.Length * 8 >= 2048, $"modulus of {k.Kid} has {k.Modulus.Length * 8} bits");
        });
        Assert.Equal(keys.Count, keys.Select(k => k.Kid).Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task Access_tokens_verify_against_the_published_key_named_by_their_kid()
    {
        var (client, refreshToken) = await LoginAsync();
        var token = await FreshAccessTokenAsync(client, refreshToken);

        var keys = await JwksAsync();

        var kid = new JsonWebToken(token).Kid;
        Assert.Contains(kid, keys.Select(k => k.Kid));
        var valid = await VerifyAsync(token, keys.Where(k => k.Kid == kid));
        Assert.True(valid.IsValid, valid.Exception?.Message);
        // The same check must be able to fail, or passing it proves nothing.
        var parts = token.Split('.');
        var forged = $"{parts[0]}.{parts[1]}.{Base64UrlEncoder.Encode(new byte[256])}";
        Assert.False((await VerifyAsync(forged, keys)).IsValid);
    }

    [Fact]
    public async Task Rotated_key_is_published_first_signs_after_prepublication_and_the_old_one_is_retired_after_retention()
    {
        var (client, refreshToken) = await LoginAsync();
        var oldKid = new JsonWebToken(await FreshAccessTokenAsync(client, refreshToken)).Kid;
        var before = await JwksAsync();

        var newKid = await factory.Services.GetRequiredService<SigningKeyRing>()
            .RotateAsync(factory.Bootstrap.ApplicationId, TestContext.Current.CancellationToken);

        var published = await JwksAsync();
        Assert.Equal(before.Count + 1, published.Count);
        Assert.Contains(newKid, published.Select(k => k.Kid));
        Assert.Equal(oldKid, new JsonWebToken(await FreshAccessTokenAsync(client, refreshToken)).Kid);

        factory.Time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromMinutes(10));
        var lastOfOldKey = await FreshAccessTokenAsync(client, refreshToken);
        Assert.Equal(oldKid, new JsonWebToken(lastOfOldKey).Kid);

        factory.Time.Advance(TimeSpan.FromMinutes(11));
        var firstOfNewKey = await FreshAccessTokenAsync(client, refreshToken);
        Assert.Equal(newKid, new JsonWebToken(firstOfNewKey).Kid);
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(lastOfOldKey)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(firstOfNewKey)).StatusCode);
        Assert.Contains(oldKid, (await JwksAsync()).Select(k => k.Kid));

        // Retention is the access token lifetime (30 min) plus 5 min, counted from the switch.
        factory.Time.Advance(TimeSpan.FromMinutes(36));

        var retired = await JwksAsync();
        Assert.DoesNotContain(oldKid, retired.Select(k => k.Kid));
        Assert.Contains(newKid, retired.Select(k => k.Kid));
        var latest = await FreshAccessTokenAsync(client, refreshToken);
        Assert.Equal(newKid, new JsonWebToken(latest).Kid);
        Assert.True((await VerifyAsync(latest, retired)).IsValid);
    }

    [Fact]
    public async Task Sdk_configuration_of_the_demo_client_has_wristbands_shape()
    {
        await factory.StartAsync();

        var response = await _flow.Backend().GetAsync($"/api/v1/clients/{factory.Bootstrap.DemoClientId}/sdk-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        Assert.Equal(
            ["customApplicationLoginPageUrl", "isApplicationCustomDomainActive", "loginUrl", "loginUrlTenantDomainSuffix", "redirectUri"],
            root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Null, root.GetProperty("customApplicationLoginPageUrl").ValueKind);
        Assert.Equal(JsonValueKind.False, root.GetProperty("isApplicationCustomDomainActive").ValueKind);
        Assert.Equal("https://localhost:6001/auth/login", root.GetProperty("loginUrl").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("loginUrlTenantDomainSuffix").ValueKind);
        Assert.Equal("https://localhost:6001/auth/callback", root.GetProperty("redirectUri").GetString());
    }

    [Fact]
    public async Task Sdk_configuration_of_an_unknown_or_machine_client_is_404()
    {
        await factory.StartAsync();

        var unknown = await _flow.Backend().GetAsync("/api/v1/clients/nosuchclient0000000000000/sdk-configuration");
        var machine = await _flow.Backend().GetAsync($"/api/v1/clients/{factory.Bootstrap.AdminClientId}/sdk-configuration");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, machine.StatusCode);
    }

    [Fact]
    public async Task Sdk_configuration_of_a_templated_login_url_gives_the_tenant_domain_suffix()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(
            OAuthClientType.BackendServer, "https://{tenant_domain}.app.localhost:6001/auth/callback", "https://{tenant_domain}.app.localhost:6001/auth/login");

        var response = await _flow.Backend().GetAsync($"/api/v1/clients/{client.Id}/sdk-configuration");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("app.localhost", json.RootElement.GetProperty("loginUrlTenantDomainSuffix").GetString());
        Assert.Equal("https://{tenant_domain}.app.localhost:6001/auth/login", json.RootElement.GetProperty("loginUrl").GetString());
    }
}

public sealed class DiscoveryAndKeysOnSqlite(SqliteLanyard factory) : DiscoveryAndKeysTests(factory), IClassFixture<SqliteLanyard>;

public sealed class DiscoveryAndKeysOnPostgres(PostgresLanyard factory) : DiscoveryAndKeysTests(factory), IClassFixture<PostgresLanyard>;

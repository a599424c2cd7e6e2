using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>The token endpoint's request rules and client authentication, and how userinfo treats tokens it must refuse.</summary>
public abstract class TokenEndpointTests(LanyardFactory factory)
{
    private static readonly Dictionary<string, string> ClientCredentials = new() { ["grant_type"] = "client_credentials" };
    private readonly OAuthFlow _flow = new(factory);

    private TestClient Admin => new(factory.Bootstrap.AdminClientId, factory.Bootstrap.AdminClientSecret, "");

    private static AuthenticationHeaderValue Basic(string id, string secret) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{id}:{secret}")));

    private async Task<HttpResponseMessage> PostAsync(HttpContent content, AuthenticationHeaderValue? authorization, HttpClient? on = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth2/token") { Content = content };
        request.Headers.Authorization = authorization;
        return await (on ?? _flow.Backend()).SendAsync(request);
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(error, await OAuthFlow.ReadErrorAsync(response));
    }

    private async Task<string> UserAccessTokenAsync()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = $"t{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        var (tokens, _) = await _flow.LoginAsync(_flow.DemoClient, tenant.Name, email);
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);
        return tokens.AccessToken;
    }

    private static string Segment(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    [Fact]
    public async Task Client_credentials_issue_a_client_token_and_no_refresh_or_id_token()
    {
        await factory.StartAsync();

        var response = await _flow.TokenRequestAsync(Admin, ClientCredentials);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("refresh_token").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.RootElement.GetProperty("id_token").ValueKind);
        var access = new JsonWebToken(json.RootElement.GetProperty("access_token").GetString());
        Assert.Equal("client", access.GetClaim("sub_kind").Value);
        Assert.Equal(Admin.Id, access.Subject);
        Assert.False(access.TryGetClaim("tnt_id", out _));
    }

    [Fact]
    public async Task Backend_client_asking_for_client_credentials_is_unauthorized_client()
    {
        await factory.StartAsync();

        var response = await _flow.TokenRequestAsync(_flow.DemoClient, ClientCredentials);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "unauthorized_client");
    }

    [Fact]
    public async Task Password_grant_is_unsupported_grant_type()
    {
        await factory.StartAsync();

        var response = await _flow.TokenRequestAsync(Admin, new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = factory.Bootstrap.DemoUserEmail,
            ["password"] = factory.Bootstrap.DemoUserPassword,
        });

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Fact]
    public async Task Missing_grant_type_is_invalid_request()
    {
        await factory.StartAsync();

        var response = await _flow.TokenRequestAsync(Admin, new Dictionary<string, string> { ["scope"] = "openid" });

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Wrong_client_secret_is_401_invalid_client_with_a_challenge()
    {
        // A client of its own: failures are throttled per client, and other tests use the admin client.
        var machine = await _flow.CreateClientAsync(OAuthClientType.MachineToMachine, "https://m2m.example/cb");

        var response = await _flow.TokenRequestAsync(machine with { Secret = machine.Secret + "x" }, ClientCredentials);

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
        Assert.Equal(HttpStatusCode.OK, (await _flow.TokenRequestAsync(machine, ClientCredentials)).StatusCode);
    }

    [Fact]
    public async Task Unknown_client_is_401_invalid_client()
    {
        await factory.StartAsync();

        var response = await _flow.TokenRequestAsync(new TestClient("nosuchclient00000000000000", "some-secret", ""), ClientCredentials);

        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Fact]
    public async Task Basic_and_a_body_secret_together_is_invalid_request()
    {
        await factory.StartAsync();

        var response = await PostAsync(
            new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_secret"] = Admin.Secret! }),
            Basic(Admin.Id, Admin.Secret!));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Client_secret_post_authenticates_a_backend_client_for_the_code_exchange()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var tenant = await factory.CreateTenantAsync();
        var email = $"p{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var callback = await _flow.AuthorizeAsync(_flow.Browser(tenant.Name), OAuthFlow.AuthorizeParameters(client, challenge), email);

        var response = await _flow.TokenRequestAsync(client, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = OAuthFlow.Query(callback)["code"],
            ["redirect_uri"] = client.RedirectUri,
            ["code_verifier"] = verifier,
        }, basic: false);

        var tokens = await OAuthFlow.ReadTokensAsync(response);
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Repeated_parameter_is_invalid_request()
    {
        await factory.StartAsync();

        var response = await PostAsync(
            new StringContent("grant_type=client_credentials&grant_type=client_credentials", Encoding.ASCII, "application/x-www-form-urlencoded"),
            Basic(Admin.Id, Admin.Secret!));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Non_form_content_type_is_invalid_request()
    {
        await factory.StartAsync();

        var response = await PostAsync(
            new StringContent("""{"grant_type":"client_credentials"}""", Encoding.UTF8, "application/json"),
            Basic(Admin.Id, Admin.Secret!));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Fact]
    public async Task Get_on_the_token_endpoint_issues_nothing()
    {
        await factory.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/oauth2/token?grant_type=client_credentials");
        request.Headers.Authorization = Basic(Admin.Id, Admin.Secret!);

        var response = await _flow.Backend().SendAsync(request);

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain("access_token", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_endpoint_does_not_exist_on_a_tenant_host()
    {
        await factory.StartAsync();
        var tenantHost = factory.ClientFor(LanyardFactory.TenantHost(factory.Bootstrap.DemoTenantName));

        var response = await PostAsync(new FormUrlEncodedContent(ClientCredentials), Basic(Admin.Id, Admin.Secret!), tenantHost);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Client_credentials_token_is_refused_at_userinfo()
    {
        await factory.StartAsync();
        var tokens = await OAuthFlow.ReadTokensAsync(await _flow.TokenRequestAsync(Admin, ClientCredentials));

        var response = await _flow.UserinfoAsync(tokens.AccessToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Access_token_with_a_tampered_payload_is_refused_at_userinfo()
    {
        var token = await UserAccessTokenAsync();
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1]));
        var jti = new JsonWebToken(token).Id;
        // One character of a claim nothing else checks: only the signature can notice.
        var changedJti = jti[..^1] + (jti[^1] == 'A' ? 'B' : 'A');
        var tampered = $"{parts[0]}.{Segment(payload.Replace(jti, changedJti, StringComparison.Ordinal))}.{parts[2]}";
        Assert.NotEqual(token, tampered);

        var response = await _flow.UserinfoAsync(tampered);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Unsigned_access_token_with_alg_none_is_refused_at_userinfo()
    {
        var token = await UserAccessTokenAsync();
        var unsigned = $"{Segment("""{"alg":"none","typ":"at+jwt"}""")}.{token.Split('.')[1]}.";

        var response = await _flow.UserinfoAsync(unsigned);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Userinfo_refuses_an_access_token_in_the_query_string()
    {
        var token = await UserAccessTokenAsync();

        var response = await _flow.Backend().GetAsync($"/api/v1/oauth2/userinfo?access_token={Uri.EscapeDataString(token)}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", await OAuthFlow.ReadErrorAsync(response));
    }
}

public sealed class TokenEndpointOnSqlite(SqliteLanyard factory) : TokenEndpointTests(factory), IClassFixture<SqliteLanyard>;

public sealed class TokenEndpointOnPostgres(PostgresLanyard factory) : TokenEndpointTests(factory), IClassFixture<PostgresLanyard>;

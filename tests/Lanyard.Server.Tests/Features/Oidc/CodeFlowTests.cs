using System.Net;
using System.Text.Json;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>The authorization code flow end to end over HTTP: authorize, hosted login, callback, token, userinfo.</summary>
public abstract class CodeFlowTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    [Fact]
    public async Task Login_issues_tokens_in_wristbands_shape_and_userinfo_answers()
    {
        await factory.StartAsync();
        var client = _flow.DemoClient;
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge);
        var browser = _flow.Browser(factory.Bootstrap.DemoTenantName);

        var callback = await _flow.AuthorizeAsync(browser, parameters, factory.Bootstrap.DemoUserEmail, factory.Bootstrap.DemoUserPassword);

        Assert.Equal("https://localhost:6001/auth/callback", callback.GetLeftPart(UriPartial.Path));
        var query = OAuthFlow.Query(callback);
        Assert.Equal(parameters["state"], query["state"]);
        Assert.Equal("demo", query["tenant_domain"]);
        Assert.Equal("demo", query["tenant_name"]);
        Assert.Equal("https://auth.localhost", query["iss"]);

        var response = await _flow.RedeemAsync(client, query["code"], verifier);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using (var raw = JsonDocument.Parse(await response.Content.ReadAsStringAsync()))
        {
            Assert.Equal(JsonValueKind.Number, raw.RootElement.GetProperty("expires_in").ValueKind);
            foreach (var key in new[] { "access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope" })
            {
                Assert.True(raw.RootElement.TryGetProperty(key, out _), key);
            }
        }

        var tokens = await OAuthFlow.ReadTokensAsync(response);
        Assert.Equal(1800, tokens.ExpiresIn);
        Assert.Equal("openid offline_access email", tokens.Scope);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", tokens.RefreshToken!);

        var access = new JsonWebToken(tokens.AccessToken);
        Assert.Equal("RS256", access.Alg);
        Assert.Equal("at+jwt", access.Typ);
        Assert.False(string.IsNullOrEmpty(access.Kid));
        Assert.Equal("https://auth.localhost", access.Issuer);
        Assert.Equal(factory.Bootstrap.ApplicationId, access.GetClaim("app_id").Value);
        Assert.Equal("wristband", access.GetClaim("idp_name").Value);
        Assert.Equal("user", access.GetClaim("sub_kind").Value);
        Assert.Equal(client.Id, access.GetClaim("client_id").Value);
        Assert.Contains("pwd", access.Claims.Where(c => c.Type == "amr").Select(c => c.Value));

        var id = new JsonWebToken(tokens.IdToken);
        Assert.Equal(client.Id, id.Audiences.Single());
        Assert.Equal(parameters["nonce"], id.GetClaim("nonce").Value);
        Assert.Equal(access.Subject, id.Subject);
        Assert.True(id.TryGetClaim("at_hash", out _));
        Assert.True(id.TryGetClaim("auth_time", out _));

        var userinfo = await _flow.UserinfoAsync(tokens.AccessToken);
        Assert.Equal(HttpStatusCode.OK, userinfo.StatusCode);
        using var claims = JsonDocument.Parse(await userinfo.Content.ReadAsStringAsync());
        Assert.Equal(access.Subject, claims.RootElement.GetProperty("sub").GetString());
        Assert.Equal(access.GetClaim("tnt_id").Value, claims.RootElement.GetProperty("tnt_id").GetString());
        Assert.Equal(factory.Bootstrap.DemoUserEmail, claims.RootElement.GetProperty("email").GetString());
        Assert.True(claims.RootElement.GetProperty("email_verified").GetBoolean());
    }

    [Fact]
    public async Task Repeated_wrong_client_secrets_are_throttled()
    {
        await factory.StartAsync();
        var wrong = new TestClient(factory.Bootstrap.AdminClientId, "not-the-secret", "");
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            answers.Add((await _flow.TokenRequestAsync(wrong, form)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, answers[0]);
        Assert.Equal(HttpStatusCode.TooManyRequests, answers[^1]);
        var right = new TestClient(factory.Bootstrap.AdminClientId, factory.Bootstrap.AdminClientSecret, "");
        Assert.Equal(HttpStatusCode.OK, (await _flow.TokenRequestAsync(right, form)).StatusCode);
    }

    [Fact]
    public async Task A_password_hashed_at_an_older_work_factor_is_rehashed_at_login()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"old{Guid.NewGuid():N}@example.com";
        var user = await factory.CreateUserAsync(tenant, email);
        var weaker = await new Lanyard.Server.Features.Users.PasswordHasher(
                factory.Services.GetRequiredService<Lanyard.Server.Hosting.ServerSettings>() with { PasswordHashIterations = 500 },
                TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Lanyard.Server.Features.Users.PasswordHasher>.Instance)
            .HashAsync(OAuthFlow.TestPassword, TestContext.Current.CancellationToken);
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            await LanyardFactory.Db(scope).Users.Where(u => u.Id == user.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.PasswordHash, weaker));
        }

        await _flow.LoginAsync(_flow.DemoClient, tenant.Name, email);

        await using var check = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var stored = (await LanyardFactory.Db(check).Users.SingleAsync(u => u.Id == user.Id)).PasswordHash!;
        Assert.Contains("$i=1000$", stored, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_unicode_passwords_are_verified_exactly_as_typed()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"uni{Guid.NewGuid():N}@example.com";
        const string password = "Ünïcødé pässwörd – with spaces and 🔑 emoji, sixty-four chars!!";
        await factory.CreateUserAsync(tenant, email, password);
        var browser = _flow.Browser(tenant.Name);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(_flow.DemoClient, OAuthFlow.NewPkce().Challenge)));

        var trimmed = await _flow.SubmitLoginAsync(browser, start.Headers.Location!.OriginalString, email, password.TrimEnd('!'));
        var exact = await _flow.SubmitLoginAsync(browser, start.Headers.Location!.OriginalString, email, password);

        Assert.Equal(HttpStatusCode.OK, trimmed.StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, exact.StatusCode);
    }
}

public sealed class CodeFlowOnSqlite(SqliteLanyard factory) : CodeFlowTests(factory), IClassFixture<SqliteLanyard>;

public sealed class CodeFlowOnPostgres(PostgresLanyard factory) : CodeFlowTests(factory), IClassFixture<PostgresLanyard>;

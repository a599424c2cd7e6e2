using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>prompt, max_age and id_token_hint (checklist item 44; OIDF prompt/max-age/id-token-hint modules).</summary>
public abstract class PromptTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    private async Task<(TestClient Client, HttpClient Browser, string TenantName, string Email)> LoggedInAsync()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var tenant = await factory.CreateTenantAsync();
        var email = $"p{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        var browser = _flow.Browser(tenant.Name);
        await _flow.AuthorizeAsync(browser, OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge), email);
        return (client, browser, tenant.Name, email);
    }

    private static Dictionary<string, string?> With(TestClient client, string name, string value)
    {
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        parameters[name] = value;
        return parameters;
    }

    [Fact]
    public async Task Prompt_none_without_a_session_returns_login_required_to_the_client()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var parameters = With(client, "prompt", "none");

        var response = await _flow.Browser(factory.Bootstrap.DemoTenantName).GetAsync(OAuthFlow.AuthorizeUrl(parameters));

        var query = OAuthFlow.Query(response.Headers.Location!);
        Assert.Equal("login_required", query["error"]);
        Assert.Equal(parameters["state"], query["state"]);
        Assert.Equal("demo", query["tenant_domain"]);
    }

    [Fact]
    public async Task Prompt_none_with_a_session_issues_a_code_silently()
    {
        var (client, browser, _, _) = await LoggedInAsync();

        var response = await browser.GetAsync(OAuthFlow.AuthorizeUrl(With(client, "prompt", "none")));

        Assert.True(OAuthFlow.Query(response.Headers.Location!).ContainsKey("code"));
    }

    [Fact]
    public async Task Without_prompt_a_live_session_is_reused()
    {
        var (client, browser, _, _) = await LoggedInAsync();

        var response = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));

        Assert.True(OAuthFlow.Query(response.Headers.Location!).ContainsKey("code"));
    }

    [Fact]
    public async Task Prompt_login_forces_a_new_login_with_a_newer_auth_time()
    {
        var (client, browser, _, email) = await LoggedInAsync();
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var first = await _flow.AuthorizeAsync(browser, OAuthFlow.AuthorizeParameters(client, challenge));
        var firstTokens = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, OAuthFlow.Query(first)["code"], verifier));
        factory.Time.Advance(TimeSpan.FromSeconds(5));

        var forced = await browser.GetAsync(OAuthFlow.AuthorizeUrl(With(client, "prompt", "login")));
        Assert.StartsWith("/login", forced.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var (verifier2, challenge2) = OAuthFlow.NewPkce();
        var parameters = OAuthFlow.AuthorizeParameters(client, challenge2);
        parameters["prompt"] = "login";
        var second = await _flow.AuthorizeAsync(browser, parameters, email);
        var secondTokens = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, OAuthFlow.Query(second)["code"], verifier2));

        static long AuthTime(string idToken) => long.Parse(new JsonWebToken(idToken).GetClaim("auth_time").Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(AuthTime(secondTokens.IdToken!) > AuthTime(firstTokens.IdToken!));
    }

    [Fact]
    public async Task Max_age_older_than_the_login_forces_a_login_and_a_generous_one_does_not()
    {
        var (client, browser, _, _) = await LoggedInAsync();
        factory.Time.Advance(TimeSpan.FromSeconds(2));

        var strict = await browser.GetAsync(OAuthFlow.AuthorizeUrl(With(client, "max_age", "1")));
        var generous = await browser.GetAsync(OAuthFlow.AuthorizeUrl(With(client, "max_age", "10000")));

        Assert.StartsWith("/login", strict.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.True(OAuthFlow.Query(generous.Headers.Location!).ContainsKey("code"));
    }

    [Fact]
    public async Task Id_token_hint_of_the_session_user_allows_prompt_none_and_of_another_user_does_not()
    {
        var (client, browser, tenantName, _) = await LoggedInAsync();
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var callback = await _flow.AuthorizeAsync(browser, OAuthFlow.AuthorizeParameters(client, challenge));
        var own = (await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], verifier))).IdToken!;
        // The other user lives in another tenant: a token of tenant B must not log anyone in silently on tenant A.
        var otherTenant = await factory.CreateTenantAsync();
        var otherEmail = $"o{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(otherTenant, otherEmail);
        var (otherTokens, _) = await _flow.LoginAsync(client, otherTenant.Name, otherEmail);
        _ = tenantName;

        var withOwn = With(client, "prompt", "none");
        withOwn["id_token_hint"] = own;
        var withOther = With(client, "prompt", "none");
        withOther["id_token_hint"] = otherTokens.IdToken!;
        var withForged = With(client, "prompt", "none");
        withForged["id_token_hint"] = own[..^4] + "AAAA";

        Assert.True(OAuthFlow.Query((await browser.GetAsync(OAuthFlow.AuthorizeUrl(withOwn))).Headers.Location!).ContainsKey("code"));
        Assert.Equal("login_required", OAuthFlow.Query((await browser.GetAsync(OAuthFlow.AuthorizeUrl(withOther))).Headers.Location!)["error"]);
        Assert.Equal("login_required", OAuthFlow.Query((await browser.GetAsync(OAuthFlow.AuthorizeUrl(withForged))).Headers.Location!)["error"]);
    }

    [Fact]
    public async Task A_session_cookie_replayed_on_another_tenants_host_is_no_session_there()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var tenant = await factory.CreateTenantAsync();
        var email = $"s{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        var browser = _flow.Browser(tenant.Name);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        var login = await _flow.SubmitLoginAsync(browser, start.Headers.Location!.OriginalString, email, OAuthFlow.TestPassword);
        var session = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal));
        var value = session.Split(';')[0];

        var other = await factory.CreateTenantAsync();
        var elsewhere = factory.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri($"https://{LanyardFactory.TenantHost(other.Name)}/"), AllowAutoRedirect = false, HandleCookies = false,
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, OAuthFlow.AuthorizeUrl(With(client, "prompt", "none")));
        request.Headers.Add("Cookie", value);
        var response = await elsewhere.SendAsync(request);

        Assert.Equal("login_required", OAuthFlow.Query(response.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task A_session_expires_when_idle()
    {
        var (client, browser, _, _) = await LoggedInAsync();
        factory.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        var response = await browser.GetAsync(OAuthFlow.AuthorizeUrl(With(client, "prompt", "none")));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("login_required", OAuthFlow.Query(response.Headers.Location!)["error"]);
    }
}

public sealed class PromptOnSqlite(SqliteLanyard factory) : PromptTests(factory), IClassFixture<SqliteLanyard>;

public sealed class PromptOnPostgres(PostgresLanyard factory) : PromptTests(factory), IClassFixture<PostgresLanyard>;

using System.Net;
using System.Text.RegularExpressions;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>
/// The application host's login page (tenant discovery), the application-level authorize that leads to it,
/// and the application-level logout that forwards to the tenant's host.
/// </summary>
public abstract partial class ApplicationLoginTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    private async Task<HttpResponseMessage> SubmitAsync(string pageUrl, Dictionary<string, string> fields)
    {
        var browser = _flow.Backend();
        var html = await (await browser.GetAsync(pageUrl)).Content.ReadAsStringAsync();
        foreach (Match input in InputTag().Matches(html))
        {
            var tag = input.Value;
            if (tag.Contains("type=\"hidden\"", StringComparison.Ordinal)
                && Attribute("name").Match(tag) is { Success: true } name && Attribute("value").Match(tag) is { Success: true } value)
            {
                fields.TryAdd(name.Groups[1].Value, WebUtility.HtmlDecode(value.Groups[1].Value));
            }
        }

        return await browser.PostAsync(pageUrl, new FormUrlEncodedContent(fields));
    }

    [Fact]
    public async Task Tenant_name_leads_to_the_clients_login_url_with_both_tenant_parameters_and_the_state()
    {
        await factory.StartAsync();

        var response = await SubmitAsync($"/login?client_id={factory.Bootstrap.DemoClientId}&state=keep-me", new() { ["Input.TenantName"] = "DEMO" });

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal("https://localhost:6001/auth/login", location.GetLeftPart(UriPartial.Path));
        var query = OAuthFlow.Query(location);
        Assert.Equal("demo", query["tenant_domain"]);
        Assert.Equal("demo", query["tenant_name"]);
        Assert.Equal("keep-me", query["state"]);
    }

    [Fact]
    public async Task A_templated_login_url_gets_the_tenant_substituted()
    {
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://{tenant_domain}.app.localhost/cb", "https://{tenant_domain}.app.localhost/auth/login");

        var response = await SubmitAsync($"/login?client_id={client.Id}", new() { ["Input.TenantName"] = "demo" });

        Assert.Equal("https://demo.app.localhost/auth/login", response.Headers.Location!.GetLeftPart(UriPartial.Path));
        Assert.False(OAuthFlow.Query(response.Headers.Location!).ContainsKey("tenant_domain"));
    }

    [Fact]
    public async Task Unknown_tenant_name_is_reported_on_the_page()
    {
        await factory.StartAsync();

        var response = await SubmitAsync($"/login?client_id={factory.Bootstrap.DemoClientId}", new() { ["Input.TenantName"] = "nosuchtenant" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("could not find an organization", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_email_in_one_tenant_goes_straight_to_it_with_a_login_hint()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"one{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);

        var response = await SubmitAsync($"/login?client_id={factory.Bootstrap.DemoClientId}", new() { ["Input.Email"] = email });

        var query = OAuthFlow.Query(response.Headers.Location!);
        Assert.Equal(tenant.NormalizedName, query["tenant_name"]);
        Assert.Equal(email, query["login_hint"]);
    }

    [Fact]
    public async Task An_email_in_several_tenants_is_sent_the_list_and_an_unknown_email_sees_the_same_page()
    {
        var email = $"many{Guid.NewGuid():N}@example.com";
        var first = await factory.CreateTenantAsync();
        var second = await factory.CreateTenantAsync();
        await factory.CreateUserAsync(first, email);
        await factory.CreateUserAsync(second, email);

        var known = await SubmitAsync($"/login?client_id={factory.Bootstrap.DemoClientId}", new() { ["Input.Email"] = email });
        var unknown = await SubmitAsync($"/login?client_id={factory.Bootstrap.DemoClientId}", new() { ["Input.Email"] = "nobody-" + email });

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Contains("Check your email", await known.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("Check your email", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var sent = await factory.Emails.WaitForAsync(email);
        Assert.Equal(1, await factory.Emails.CountAfterQuietAsync(email));
        Assert.Contains(first.DisplayName, sent.TextBody, StringComparison.Ordinal);
        Assert.Contains($"tenant_name={first.NormalizedName}", sent.TextBody, StringComparison.Ordinal);
        Assert.Contains($"tenant_name={second.NormalizedName}", sent.TextBody, StringComparison.Ordinal);
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync("nobody-" + email, TimeSpan.Zero));
    }

    [Fact]
    public async Task Application_host_authorize_asks_for_the_tenant_then_continues_on_its_host_unchanged()
    {
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);

        var start = await _flow.Backend().GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.StartsWith("/login?client_id=", start.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var chosen = await SubmitAsync(start.Headers.Location!.OriginalString, new() { ["Input.TenantName"] = "demo" });

        var location = chosen.Headers.Location!;
        Assert.Equal("https://demo-auth.localhost/api/v1/oauth2/authorize", location.GetLeftPart(UriPartial.Path));
        var forwarded = OAuthFlow.Query(location);
        foreach (var name in new[] { "client_id", "redirect_uri", "state", "nonce", "code_challenge", "code_challenge_method", "scope", "response_type" })
        {
            Assert.Equal(parameters[name], forwarded[name]);
        }
    }

    [Fact]
    public async Task Application_host_authorize_refuses_unknown_clients_with_a_page_and_prompt_none_with_login_required()
    {
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var bad = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        bad["redirect_uri"] = "https://evil.example/cb";
        var silent = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        silent["prompt"] = "none";

        var page = await _flow.Backend().GetAsync(OAuthFlow.AuthorizeUrl(bad));
        var none = await _flow.Backend().GetAsync(OAuthFlow.AuthorizeUrl(silent));

        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Null(page.Headers.Location);
        Assert.Equal("login_required", OAuthFlow.Query(none.Headers.Location!)["error"]);
    }

    [Fact]
    public async Task Application_host_logout_forwards_to_the_tenant_named_by_the_id_token_hint()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"out{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        var (tokens, _) = await _flow.LoginAsync(_flow.DemoClient, tenant.Name, email);

        var response = await _flow.Backend().GetAsync($"/api/v1/logout?id_token_hint={tokens.IdToken}&post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fout&state=s1");
        var withoutHint = await _flow.Backend().GetAsync("/api/v1/logout?post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F");

        Assert.Equal($"https://{LanyardFactory.TenantHost(tenant.NormalizedName)}/api/v1/logout", response.Headers.Location!.GetLeftPart(UriPartial.Path));
        Assert.Equal("https://app.example/out", OAuthFlow.Query(response.Headers.Location!)["post_logout_redirect_uri"]);
        Assert.Equal(HttpStatusCode.BadRequest, withoutHint.StatusCode);
        Assert.Null(withoutHint.Headers.Location);
    }

    [Fact]
    public async Task Discovery_points_standard_clients_at_the_application_host()
    {
        await factory.StartAsync();

        using var metadata = System.Text.Json.JsonDocument.Parse(await _flow.Backend().GetStringAsync("/.well-known/openid-configuration"));

        Assert.Equal("https://auth.localhost/api/v1/oauth2/authorize", metadata.RootElement.GetProperty("authorization_endpoint").GetString());
        Assert.Equal("https://auth.localhost/api/v1/logout", metadata.RootElement.GetProperty("end_session_endpoint").GetString());
    }

    [GeneratedRegex("<input[^>]*>")]
    private static partial Regex InputTag();

    private static Regex Attribute(string name) => new($"\\s{name}=\"([^\"]*)\"");
}

public sealed class ApplicationLoginOnSqlite(SqliteLanyard factory) : ApplicationLoginTests(factory), IClassFixture<SqliteLanyard>;

public sealed class ApplicationLoginOnPostgres(PostgresLanyard factory) : ApplicationLoginTests(factory), IClassFixture<PostgresLanyard>;

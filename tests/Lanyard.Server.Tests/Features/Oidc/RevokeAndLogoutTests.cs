using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>Token revocation (RFC 7009) and logout on the tenant host: what each ends, and where logout may send the browser.</summary>
public abstract class RevokeAndLogoutTests(LanyardFactory factory)
{
    private const string SessionCookie = "__Host-lanyard_session";
    private readonly OAuthFlow _flow = new(factory);

    private sealed record Session(TestClient Client, HttpClient Browser, string TenantName, string Email);

    private async Task<Session> NewUserAsync(string? loginUrl = null)
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb", loginUrl);
        var tenant = await factory.CreateTenantAsync();
        var email = $"l{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        return new Session(client, _flow.Browser(tenant.Name), tenant.Name, email);
    }

    private async Task<(Session Session, TokenResponse Tokens)> LoggedInAsync()
    {
        var session = await NewUserAsync();
        var (tokens, _) = await _flow.LoginAsync(session.Client, session.TenantName, session.Email, browser: session.Browser);
        return (session, tokens);
    }

    private async Task<HttpResponseMessage> RevokeAsync(TestClient client, string? token, string? secret = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth2/revoke");
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{client.Id}:{secret ?? client.Secret}")));
        var form = new Dictionary<string, string>();
        if (token is not null)
        {
            form["token"] = token;
        }

        request.Content = new FormUrlEncodedContent(form);
        return await _flow.Backend().SendAsync(request);
    }

    private static async Task<Dictionary<string, string>> PromptNoneAsync(HttpClient browser, TestClient client)
    {
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        parameters["prompt"] = "none";
        var response = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return OAuthFlow.Query(response.Headers.Location!);
    }

    [Fact]
    public async Task Revoking_a_refresh_token_ends_refresh_and_its_access_tokens()
    {
        var (session, tokens) = await LoggedInAsync();
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await RevokeAsync(session.Client, tokens.RefreshToken)).StatusCode);

        var refresh = await _flow.RefreshAsync(session.Client, tokens.RefreshToken!);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(refresh));
        Assert.Equal(HttpStatusCode.Unauthorized, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);
    }

    [Fact]
    public async Task Revoking_an_access_token_ends_it_and_the_refresh_token_of_its_grant()
    {
        var (session, tokens) = await LoggedInAsync();
        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await RevokeAsync(session.Client, tokens.AccessToken)).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);
        var refresh = await _flow.RefreshAsync(session.Client, tokens.RefreshToken!);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(refresh));
    }

    [Fact]
    public async Task Revoking_an_unknown_token_answers_200()
    {
        await factory.StartAsync();

        var response = await RevokeAsync(_flow.DemoClient, "not-a-token-" + Guid.NewGuid().ToString("N"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Revoking_another_clients_tokens_answers_200_and_leaves_them_working()
    {
        var (session, tokens) = await LoggedInAsync();
        var other = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://other.example/cb");

        Assert.Equal(HttpStatusCode.OK, (await RevokeAsync(other, tokens.RefreshToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await RevokeAsync(other, tokens.AccessToken)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await _flow.UserinfoAsync(tokens.AccessToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(session.Client, tokens.RefreshToken!)).StatusCode);
    }

    [Fact]
    public async Task Revoke_with_a_wrong_client_secret_is_invalid_client_and_revokes_nothing()
    {
        var (session, tokens) = await LoggedInAsync();

        var response = await RevokeAsync(session.Client, tokens.RefreshToken, secret: "wrong-secret");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_client", await OAuthFlow.ReadErrorAsync(response));
        Assert.Equal(HttpStatusCode.OK, (await _flow.RefreshAsync(session.Client, tokens.RefreshToken!)).StatusCode);
    }

    [Fact]
    public async Task Revoke_without_a_token_is_invalid_request()
    {
        await factory.StartAsync();

        var response = await RevokeAsync(_flow.DemoClient, null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request", await OAuthFlow.ReadErrorAsync(response));
    }

    [Fact]
    public async Task Logout_ends_the_session_so_prompt_none_needs_a_login()
    {
        var (session, _) = await LoggedInAsync();
        Assert.True((await PromptNoneAsync(session.Browser, session.Client)).ContainsKey("code"));

        await session.Browser.GetAsync("/api/v1/logout");

        Assert.Equal("login_required", (await PromptNoneAsync(session.Browser, session.Client))["error"]);
    }

    [Fact]
    public async Task Logout_deletes_the_session_cookie()
    {
        var (session, _) = await LoggedInAsync();

        var response = await session.Browser.GetAsync("/api/v1/logout");

        var deletion = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(SessionCookie + "=", StringComparison.Ordinal));
        Assert.StartsWith(SessionCookie + "=;", deletion, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", deletion, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/", deletion, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", deletion, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Logout_with_a_client_redirects_to_its_login_url_with_tenant_and_state()
    {
        var session = await NewUserAsync(loginUrl: "https://app.example/auth/login");

        var response = await session.Browser.GetAsync($"/api/v1/logout?client_id={session.Client.Id}&state=st-123");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!;
        Assert.Equal("https://app.example/auth/login", location.GetLeftPart(UriPartial.Path));
        var query = OAuthFlow.Query(location);
        Assert.Equal(session.TenantName, query["tenant_domain"]);
        Assert.Equal(session.TenantName, query["tenant_name"]);
        Assert.Equal("st-123", query["state"]);
    }

    [Fact]
    public async Task Logout_never_redirects_to_an_unregistered_redirect_url()
    {
        var session = await NewUserAsync(loginUrl: "https://app.example/auth/login");
        const string evil = "https://evil.example/";

        var withClient = await session.Browser.GetAsync($"/api/v1/logout?client_id={session.Client.Id}&redirect_url={Uri.EscapeDataString(evil)}");
        var withoutClient = await session.Browser.GetAsync($"/api/v1/logout?redirect_url={Uri.EscapeDataString(evil)}");

        Assert.Equal(HttpStatusCode.Redirect, withClient.StatusCode);
        Assert.Equal("https://app.example/auth/login", withClient.Headers.Location!.GetLeftPart(UriPartial.Path));
        Assert.Equal(HttpStatusCode.OK, withoutClient.StatusCode);
        Assert.Null(withoutClient.Headers.Location);
        Assert.DoesNotContain("evil.example", await withoutClient.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logout_follows_a_registered_redirect_url_before_the_client_login_url()
    {
        var session = await NewUserAsync(loginUrl: "https://app.example/auth/login");
        var registered = $"https://app.example/signed-out/{Guid.NewGuid():N}";
        await using (var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var application = await db.Applications.AsTracking().SingleAsync(a => a.Id == factory.Bootstrap.ApplicationId);
            application.LogoutUrls = [.. application.LogoutUrls, registered];
            await db.SaveChangesAsync();
        }

        var response = await session.Browser.GetAsync($"/api/v1/logout?client_id={session.Client.Id}&redirect_url={Uri.EscapeDataString(registered)}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(registered, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Logout_without_a_client_or_application_login_url_shows_the_signed_out_page()
    {
        var (session, _) = await LoggedInAsync();

        var response = await session.Browser.GetAsync("/api/v1/logout");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("You have signed out", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_cookie_replayed_after_logout_does_not_resume_the_session()
    {
        var session = await NewUserAsync();
        var start = await session.Browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(session.Client, OAuthFlow.NewPkce().Challenge)));
        var login = await _flow.SubmitLoginAsync(session.Browser, start.Headers.Location!.OriginalString, session.Email, OAuthFlow.TestPassword);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(SessionCookie + "=", StringComparison.Ordinal)).Split(';')[0];
        var replayer = factory.CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri($"https://{LanyardFactory.TenantHost(session.TenantName)}/"), AllowAutoRedirect = false, HandleCookies = false,
        });
        // The replayed cookie must be a working session before logout, or the final assertion proves nothing.
        Assert.True((await ReplayPromptNoneAsync(replayer, cookie, session.Client)).ContainsKey("code"));

        await session.Browser.GetAsync("/api/v1/logout");

        Assert.Equal("login_required", (await ReplayPromptNoneAsync(replayer, cookie, session.Client))["error"]);
    }

    private static async Task<Dictionary<string, string>> ReplayPromptNoneAsync(HttpClient replayer, string cookie, TestClient client)
    {
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        parameters["prompt"] = "none";
        using var request = new HttpRequestMessage(HttpMethod.Get, OAuthFlow.AuthorizeUrl(parameters));
        request.Headers.Add("Cookie", cookie);
        var response = await replayer.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return OAuthFlow.Query(response.Headers.Location!);
    }
}

public sealed class RevokeAndLogoutOnSqlite(SqliteLanyard factory) : RevokeAndLogoutTests(factory), IClassFixture<SqliteLanyard>;

public sealed class RevokeAndLogoutOnPostgres(PostgresLanyard factory) : RevokeAndLogoutTests(factory), IClassFixture<PostgresLanyard>;

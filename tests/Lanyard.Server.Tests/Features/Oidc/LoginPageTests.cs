using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>The hosted tenant login page: enumeration resistance, CSRF, no open redirect, cookies, fixation, headers (items 6, 8, 48, 50–53, 59).</summary>
public abstract class LoginPageTests(LanyardFactory factory)
{
    private readonly OAuthFlow _flow = new(factory);

    private string _tenantName = "";

    private async Task<(HttpClient Browser, string LoginUrl, string Email)> StartAsync()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var tenant = await factory.CreateTenantAsync();
        var email = $"l{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        _tenantName = tenant.Name;
        var browser = _flow.Browser(tenant.Name);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        return (browser, start.Headers.Location!.OriginalString, email);
    }

    private static async Task<string> ErrorTextAsync(HttpResponseMessage response)
    {
        var html = await response.Content.ReadAsStringAsync();
        var match = System.Text.RegularExpressions.Regex.Match(html, "data-testid=\"error\">([^<]*)<");
        return match.Success ? match.Groups[1].Value : "";
    }

    [Fact]
    public async Task Unknown_user_and_wrong_password_get_the_same_answer()
    {
        var (browser, loginUrl, email) = await StartAsync();

        var wrongPassword = await _flow.SubmitLoginAsync(browser, loginUrl, email, "not the password");
        var unknownUser = await _flow.SubmitLoginAsync(browser, loginUrl, "nobody-" + email, "not the password");

        Assert.Equal(wrongPassword.StatusCode, unknownUser.StatusCode);
        Assert.Equal(HttpStatusCode.OK, wrongPassword.StatusCode);
        Assert.Equal(await ErrorTextAsync(wrongPassword), await ErrorTextAsync(unknownUser));
        Assert.Contains("incorrect", await ErrorTextAsync(wrongPassword), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Successful_login_redirects_with_303_sets_a_host_only_secure_session_cookie_and_rotates_it()
    {
        var (browser, loginUrl, email) = await StartAsync();

        var first = await _flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword);
        var second = await _flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword);

        Assert.Equal(HttpStatusCode.SeeOther, first.StatusCode);
        Assert.StartsWith("/api/v1/oauth2/authorize?", first.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var cookie = first.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal));
        var attributes = cookie.ToLowerInvariant();
        Assert.Contains("secure", attributes, StringComparison.Ordinal);
        Assert.Contains("httponly", attributes, StringComparison.Ordinal);
        Assert.Contains("samesite=lax", attributes, StringComparison.Ordinal);
        Assert.Contains("path=/", attributes, StringComparison.Ordinal);
        Assert.DoesNotContain("domain=", attributes, StringComparison.Ordinal);
        var again = second.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal));
        Assert.NotEqual(cookie.Split(';')[0], again.Split(';')[0]);
    }

    [Fact]
    public async Task A_login_post_without_the_antiforgery_token_is_refused()
    {
        var (browser, loginUrl, email) = await StartAsync();
        await browser.GetAsync(loginUrl);

        var response = await browser.PostAsync(loginUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Identifier"] = email,
            ["Input.Password"] = OAuthFlow.TestPassword,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie") && response.Headers.GetValues("Set-Cookie").Any(c => c.StartsWith("__Host-lanyard_session", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("//evil.com")]
    [InlineData("/\\evil.com")]
    [InlineData("/%5Cevil.com")]
    [InlineData("\\\\evil.com")]
    [InlineData("https:evil.com")]
    [InlineData("/%09/evil.com")]
    [InlineData("%2F%2Fevil.com")]
    [InlineData("https://evil.com/api/v1/oauth2/authorize?x=1")]
    [InlineData("https://other-auth.localhost/api/v1/oauth2/authorize?x=1")]
    [InlineData("/api/v1/oauth2/authorize?\r\nLocation:https://evil.com")]
    public async Task The_return_url_never_leaves_this_hosts_authorize_endpoint(string returnUrl)
    {
        var (browser, _, email) = await StartAsync();

        var response = await _flow.SubmitLoginAsync(browser, "/login?return_url=" + Uri.EscapeDataString(returnUrl), email, OAuthFlow.TestPassword);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("You are signed in", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_many_attempts_lock_the_account_even_in_parallel_and_the_window_unlocks_it()
    {
        var (browser, loginUrl, email) = await StartAsync();
        var attempts = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => _flow.SubmitLoginAsync(_flow.Browser(_tenantName), loginUrl, email, "wrong password")));
        Assert.All(attempts, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        var locked = await _flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.OK, locked.StatusCode);
        Assert.Contains("incorrect", await ErrorTextAsync(locked), StringComparison.Ordinal);

        factory.Time.Advance(TimeSpan.FromMinutes(16));
        var unlocked = await _flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.SeeOther, unlocked.StatusCode);
    }

    [Fact]
    public async Task Hosted_pages_forbid_framing_and_sniffing_and_send_no_referrer()
    {
        var (browser, loginUrl, _) = await StartAsync();

        var response = await browser.GetAsync(loginUrl);

        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Contains("max-age=31536000", response.Headers.GetValues("Strict-Transport-Security").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_hint_prefills_the_identifier()
    {
        var (browser, loginUrl, _) = await StartAsync();

        var html = await (await browser.GetAsync(loginUrl + "&login_hint=ann%40example.com")).Content.ReadAsStringAsync();

        Assert.Contains("value=\"ann@example.com\"", html, StringComparison.Ordinal);
    }
}

public sealed class LoginPageOnSqlite(SqliteLanyard factory) : LoginPageTests(factory), IClassFixture<SqliteLanyard>;

public sealed class LoginPageOnPostgres(PostgresLanyard factory) : LoginPageTests(factory), IClassFixture<PostgresLanyard>;

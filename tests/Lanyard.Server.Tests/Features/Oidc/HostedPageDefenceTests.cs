using System.Net;
using System.Text.RegularExpressions;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.Oidc;

/// <summary>
/// The hosted pages against a hostile browser: no form_post to an untrusted URI (item 3), session fixation
/// (48), cookie attributes and size (50), cross-session CSRF tokens (51), response headers (53), identical
/// failure answers (59), per-address throttling (60), the absolute session lifetime and login by username.
/// </summary>
public abstract partial class HostedPageDefenceTests(LanyardFactory factory)
{
    private const string SessionCookie = "__Host-lanyard_session";
    private const string AntiforgeryCookie = "__Host-lanyard_af";
    private readonly OAuthFlow _flow = new(factory);

    private async Task<(TestClient Client, Tenant Tenant, string Email)> UserAsync()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var tenant = await factory.CreateTenantAsync();
        var email = $"h{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email);
        return (client, tenant, email);
    }

    /// <summary>A browser whose cookie jar the test can read and write.</summary>
    private (HttpClient Browser, CookieContainer Jar, Uri Origin) BrowserWithJar(string host)
    {
        var origin = new Uri($"https://{host}/");
        var jar = new CookieContainer();
        var browser = factory.CreateDefaultClient(origin, new CookieContainerHandler(jar));
        return (browser, jar, origin);
    }

    private async Task<string> LoginUrlAsync(HttpClient browser, TestClient client)
    {
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        return start.Headers.Location!.OriginalString;
    }

    /// <summary>prompt=none with exactly this session cookie and nothing else: the error or the code.</summary>
    private async Task<Dictionary<string, string>> PromptNoneWithCookieAsync(string host, TestClient client, string cookieValue)
    {
        using var raw = factory.CreateDefaultClient(new Uri($"https://{host}/"));
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        parameters["prompt"] = "none";
        using var request = new HttpRequestMessage(HttpMethod.Get, OAuthFlow.AuthorizeUrl(parameters));
        request.Headers.Add("Cookie", $"{SessionCookie}={cookieValue}");
        var response = await raw.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return OAuthFlow.Query(response.Headers.Location!);
    }

    [Theory]
    [InlineData("form_post", true)]
    [InlineData("form_post", false)]
    [InlineData("fragment", true)]
    [InlineData("form_post.jwt", false)]
    [InlineData("query.jwt", true)]
    public async Task An_untrusted_client_or_redirect_uri_gets_an_error_page_and_never_a_self_submitting_form(string mode, bool unknownClient)
    {
        var (client, tenant, _) = await UserAsync();
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        parameters["response_mode"] = mode;
        parameters["redirect_uri"] = "https://evil.example/steal";
        if (unknownClient)
        {
            parameters["client_id"] = "unknown" + Guid.NewGuid().ToString("N")[..10];
        }

        var response = await _flow.Browser(tenant.Name).GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.DoesNotContain("<form", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("evil.example", html, StringComparison.Ordinal);
        Assert.DoesNotContain("form-post.js", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_login_ends_the_first_sessions_cookie()
    {
        var (client, tenant, email) = await UserAsync();
        var host = LanyardFactory.TenantHost(tenant.Name);
        var (browser, jar, origin) = BrowserWithJar(host);

        var loginUrl = await LoginUrlAsync(browser, client);
        Assert.Equal(HttpStatusCode.SeeOther, (await _flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword)).StatusCode);
        var first = jar.GetCookies(origin)[SessionCookie]!.Value;
        Assert.Equal(HttpStatusCode.SeeOther, (await _flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword)).StatusCode);
        var second = jar.GetCookies(origin)[SessionCookie]!.Value;

        Assert.NotEqual(first, second);
        Assert.Equal("login_required", (await PromptNoneWithCookieAsync(host, client, first))["error"]);
        Assert.True((await PromptNoneWithCookieAsync(host, client, second)).ContainsKey("code"));
    }

    [Fact]
    public async Task A_planted_pre_login_cookie_is_replaced_at_login_and_never_becomes_a_session()
    {
        var (client, tenant, email) = await UserAsync();
        var host = LanyardFactory.TenantHost(tenant.Name);
        var (browser, jar, origin) = BrowserWithJar(host);
        var planted = "planted" + Guid.NewGuid().ToString("N");
        jar.Add(origin, new Cookie(SessionCookie, planted, "/") { Secure = true, HttpOnly = true });

        var login = await _flow.SubmitLoginAsync(browser, await LoginUrlAsync(browser, client), email, OAuthFlow.TestPassword);

        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        var issued = jar.GetCookies(origin)[SessionCookie]!.Value;
        Assert.NotEqual(planted, issued);
        Assert.Equal("login_required", (await PromptNoneWithCookieAsync(host, client, planted))["error"]);
        Assert.True((await PromptNoneWithCookieAsync(host, client, issued)).ContainsKey("code"));
    }

    [Fact]
    public async Task The_antiforgery_cookie_is_host_only_secure_httponly_strict_and_all_cookies_stay_small()
    {
        var (client, tenant, email) = await UserAsync();
        var host = LanyardFactory.TenantHost(tenant.Name);
        var (browser, jar, origin) = BrowserWithJar(host);
        var loginUrl = await LoginUrlAsync(browser, client);

        var page = await browser.GetAsync(loginUrl);
        var antiforgery = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(AntiforgeryCookie + "=", StringComparison.Ordinal));
        var attributes = antiforgery.ToLowerInvariant();
        Assert.Contains("; secure", attributes, StringComparison.Ordinal);
        Assert.Contains("; httponly", attributes, StringComparison.Ordinal);
        Assert.Contains("samesite=strict", attributes, StringComparison.Ordinal);
        Assert.Contains("path=/", attributes, StringComparison.Ordinal);
        Assert.DoesNotContain("domain=", attributes, StringComparison.Ordinal);

        var login = await _flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
        foreach (var header in login.Headers.GetValues("Set-Cookie").Concat(page.Headers.GetValues("Set-Cookie")))
        {
            Assert.True(header.Length < 4096, $"Set-Cookie of {header.Length} bytes");
        }

        var cookieHeader = jar.GetCookieHeader(origin);
        Assert.Contains(SessionCookie, cookieHeader, StringComparison.Ordinal);
        Assert.Contains(AntiforgeryCookie, cookieHeader, StringComparison.Ordinal);
        Assert.True(cookieHeader.Length < 4096, $"the browser sends {cookieHeader.Length} bytes of cookies");
    }

    [Fact]
    public async Task A_login_post_carrying_another_sessions_antiforgery_token_is_refused()
    {
        var (client, tenant, email) = await UserAsync();
        var victim = _flow.Browser(tenant.Name);
        var attacker = _flow.Browser(tenant.Name);
        var loginUrl = await LoginUrlAsync(victim, client);
        await victim.GetAsync(loginUrl); // the victim's browser holds its own antiforgery cookie
        var attackerToken = OAuthFlow.HiddenValue(await (await attacker.GetAsync(loginUrl)).Content.ReadAsStringAsync(), "__lanyard_af")!;

        var forged = await victim.PostAsync(loginUrl, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Identifier"] = email,
            ["Input.Password"] = OAuthFlow.TestPassword,
            ["__lanyard_af"] = attackerToken,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(forged.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(SessionCookie, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_application_login_form_refuses_posts_without_or_with_a_foreign_antiforgery_token()
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var victim = factory.ClientFor(LanyardFactory.ApplicationHost);
        var attacker = factory.ClientFor(LanyardFactory.ApplicationHost);
        var own = OAuthFlow.HiddenValue(await (await victim.GetAsync("/login?client_id=" + factory.Bootstrap.DemoClientId)).Content.ReadAsStringAsync(), "__lanyard_af")!;
        var foreign = OAuthFlow.HiddenValue(await (await attacker.GetAsync("/login?client_id=" + factory.Bootstrap.DemoClientId)).Content.ReadAsStringAsync(), "__lanyard_af")!;
        FormUrlEncodedContent Form(string? token)
        {
            var fields = new Dictionary<string, string> { ["Input.TenantName"] = tenant.Name, ["Input.ClientId"] = factory.Bootstrap.DemoClientId };
            if (token is not null)
            {
                fields["__lanyard_af"] = token;
            }

            return new FormUrlEncodedContent(fields);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await victim.PostAsync("/login", Form(null))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await victim.PostAsync("/login", Form(foreign))).StatusCode);
        Assert.Equal(HttpStatusCode.SeeOther, (await victim.PostAsync("/login", Form(own))).StatusCode);
    }

    [Fact]
    public async Task Hosted_pages_send_base_uri_none_coop_and_hsts_with_subdomains_and_run_no_inline_script()
    {
        var (client, tenant, _) = await UserAsync();
        var browser = _flow.Browser(tenant.Name);
        var pages = new[]
        {
            await browser.GetAsync(await LoginUrlAsync(browser, client)),
            await factory.ClientFor(LanyardFactory.ApplicationHost).GetAsync("/login?client_id=" + factory.Bootstrap.DemoClientId),
            await browser.GetAsync("/api/v1/oauth2/authorize?client_id=nobody"),
        };

        foreach (var page in pages)
        {
            var csp = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("base-uri 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            // Scripts are same-origin files only (docs/operator-guide.md, "Content Security Policy"): no inline script may run.
            Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
            Assert.Equal("same-origin", page.Headers.GetValues("Cross-Origin-Opener-Policy").Single());
            Assert.Equal("max-age=31536000; includeSubDomains", page.Headers.GetValues("Strict-Transport-Security").Single());
            Assert.DoesNotMatch("<script(?![^>]*\\ssrc=)[^>]*>", await page.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task Wrong_password_unknown_user_inactive_and_locked_accounts_get_byte_identical_answers()
    {
        var (client, tenant, _) = await UserAsync();
        var browser = _flow.Browser(tenant.Name);
        var loginUrl = await LoginUrlAsync(browser, client);
        string NewIdentifier() => $"u{Guid.NewGuid():N}@example.com";

        var known = NewIdentifier();
        await factory.CreateUserAsync(tenant, known);
        var inactive = NewIdentifier();
        var inactiveUser = await factory.CreateUserAsync(tenant, inactive);
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            var db = LanyardFactory.Db(scope);
            var user = await db.Users.AsTracking().SingleAsync(u => u.Id == inactiveUser.Id);
            user.Status = UserStatus.Inactive;
            await db.SaveChangesAsync();
        }

        var locked = NewIdentifier();
        await factory.CreateUserAsync(tenant, locked);
        for (var i = 0; i < 11; i++)
        {
            await _flow.SubmitLoginAsync(_flow.Browser(tenant.Name), loginUrl, locked, "not the password");
        }

        var answers = new[]
        {
            await _flow.SubmitLoginAsync(_flow.Browser(tenant.Name), loginUrl, known, "not the password"),
            await _flow.SubmitLoginAsync(_flow.Browser(tenant.Name), loginUrl, NewIdentifier(), "not the password"),
            await _flow.SubmitLoginAsync(_flow.Browser(tenant.Name), loginUrl, inactive, OAuthFlow.TestPassword),
            await _flow.SubmitLoginAsync(_flow.Browser(tenant.Name), loginUrl, locked, OAuthFlow.TestPassword),
        };

        var bodies = new List<string>();
        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(answers[0].Content.Headers.ContentType, answer.Content.Headers.ContentType);
            Assert.Equal(
                answers[0].Headers.Select(h => h.Key).Order(StringComparer.Ordinal),
                answer.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
            // Modulo the CSRF token and the identifier the user typed (each case needs its own account).
            var html = await answer.Content.ReadAsStringAsync();
            html = AntiforgeryValue().Replace(html, "${name}TOKEN\"");
            bodies.Add(IdentifierHex().Replace(html, "ID"));
        }

        Assert.Contains(Pages.TenantLogin.IndexModel.FailureMessage, bodies[0], StringComparison.Ordinal);
        Assert.All(bodies, body => Assert.Equal(bodies[0], body));
    }

    [Fact]
    public async Task Login_attempts_beyond_the_per_address_limit_get_429_while_other_addresses_go_on()
    {
        var (client, tenant, email) = await UserAsync();
        var loginUrl = await LoginUrlAsync(_flow.Browser(tenant.Name), client);
        var address = $"198.51.100.{System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, 250)}";
        var other = $"203.0.113.{System.Security.Cryptography.RandomNumberGenerator.GetInt32(1, 250)}";
        var busy = _flow.Browser(tenant.Name);
        busy.DefaultRequestHeaders.Add(LanyardFactory.RemoteAddressHeader, address);
        var html = await (await busy.GetAsync(loginUrl)).Content.ReadAsStringAsync();
        Task<HttpResponseMessage> Attempt(HttpClient browser, string page, string identifier, string password) =>
            browser.PostAsync(loginUrl, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["Input.Identifier"] = identifier,
                ["Input.Password"] = password,
                ["Input.ReturnUrl"] = OAuthFlow.HiddenValue(page, "Input.ReturnUrl") ?? "",
                ["__lanyard_af"] = OAuthFlow.HiddenValue(page, "__lanyard_af")!,
            }));

        // Each guess names another account, so no account lock is reached: only the address is counted out.
        for (var batch = 0; batch < 10; batch++)
        {
            var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Attempt(busy, html, $"x{Guid.NewGuid():N}@example.com", "wrong password")));
            Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        }

        var throttled = await Attempt(busy, html, email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.DoesNotContain(SessionCookie, string.Join(";", throttled.Headers.TryGetValues("Set-Cookie", out var set) ? set : []), StringComparison.Ordinal);

        var elsewhere = _flow.Browser(tenant.Name);
        elsewhere.DefaultRequestHeaders.Add(LanyardFactory.RemoteAddressHeader, other);
        var otherHtml = await (await elsewhere.GetAsync(loginUrl)).Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.SeeOther, (await Attempt(elsewhere, otherHtml, email, OAuthFlow.TestPassword)).StatusCode);

        factory.Time.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(HttpStatusCode.SeeOther, (await Attempt(busy, html, email, OAuthFlow.TestPassword)).StatusCode);
    }

    [Fact]
    public async Task A_session_kept_busy_still_ends_at_its_absolute_lifetime()
    {
        var (client, tenant, email) = await UserAsync();
        var browser = _flow.Browser(tenant.Name);
        await _flow.AuthorizeAsync(browser, OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge), email);
        async Task<Dictionary<string, string>> PromptNoneAsync()
        {
            var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
            parameters["prompt"] = "none";
            return OAuthFlow.Query((await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters))).Headers.Location!);
        }

        // Default lifetimes: idle 1 day, absolute 7 days. Activity every 12 hours keeps the idle timer from firing…
        var elapsed = TimeSpan.Zero;
        while (elapsed < TimeSpan.FromDays(6.5))
        {
            factory.Time.Advance(TimeSpan.FromHours(12));
            elapsed += TimeSpan.FromHours(12);
            Assert.True((await PromptNoneAsync()).ContainsKey("code"), $"session gone after {elapsed}");
        }

        // …but not the absolute one.
        factory.Time.Advance(TimeSpan.FromDays(7) - elapsed + TimeSpan.FromMinutes(1));
        Assert.Equal("login_required", (await PromptNoneAsync())["error"]);
    }

    [Fact]
    public async Task A_user_can_sign_in_with_the_username_in_any_case()
    {
        await factory.StartAsync();
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var tenant = await factory.CreateTenantAsync();
        var username = "ann" + Guid.NewGuid().ToString("N")[..8];
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            var created = await scope.ServiceProvider.GetRequiredService<CreateUser>().ExecuteAsync(
                new CreateUserRequest($"{username}@example.com", OAuthFlow.TestPassword, Username: username, Status: UserStatus.Active), CancellationToken.None);
            Assert.IsType<CreateUserResult.Created>(created);
        }

        var (tokens, _) = await _flow.LoginAsync(client, tenant.Name, username.ToUpperInvariant());

        Assert.NotNull(tokens.IdToken);
    }

    [GeneratedRegex("(?<name>name=\"__lanyard_af\"[^>]*value=\")[^\"]*\"")]
    private static partial Regex AntiforgeryValue();

    [GeneratedRegex("[0-9a-f]{32}")]
    private static partial Regex IdentifierHex();
}

public sealed class HostedPageDefenceOnSqlite(SqliteLanyard factory) : HostedPageDefenceTests(factory), IClassFixture<SqliteLanyard>;

public sealed class HostedPageDefenceOnPostgres(PostgresLanyard factory) : HostedPageDefenceTests(factory), IClassFixture<PostgresLanyard>;

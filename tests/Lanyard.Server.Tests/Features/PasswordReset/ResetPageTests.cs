using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tests.Features.PasswordReset;

/// <summary>The hosted forgot-password and reset-password pages (checklist items 31, 59, 67, 68).</summary>
public abstract class ResetPageTests(LanyardFactory factory)
{
    private readonly ResetKit _kit = new(factory);

    private OAuthFlow Flow => _kit.Flow;

    [Fact]
    public async Task The_login_page_links_to_forgot_password_carrying_the_return_url_and_the_hint()
    {
        await factory.StartAsync();
        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        var loginUrl = QueryHelpers.AddQueryString(start.Headers.Location!.OriginalString, "login_hint", email);

        var html = await (await browser.GetAsync(loginUrl)).Content.ReadAsStringAsync();

        var forgot = ResetKit.Href(html, "forgot-password");
        Assert.NotNull(forgot);
        Assert.StartsWith("/forgot-password?", forgot, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(new Uri("https://x" + forgot).Query);
        Assert.StartsWith("/api/v1/oauth2/authorize?", query["return_url"].ToString(), StringComparison.Ordinal);
        Assert.Equal(email, query["login_hint"].ToString());
        Assert.Null(ResetKit.Href(html, "signup"));

        var forgotPage = await (await browser.GetAsync(forgot)).Content.ReadAsStringAsync();
        Assert.Equal(email, ResetKit.Hidden(forgotPage, "Input.Identifier"));
        Assert.StartsWith("/login?return_url=", ResetKit.Href(forgotPage, "back-to-login"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_login_page_offers_sign_up_only_when_the_tenant_allows_it()
    {
        await factory.StartAsync();
        var (tenant, _, _) = await _kit.TenantWithUserAsync();
        await using (var scope = factory.ScopeFor(tenant.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var row = db.Tenants.AsTracking().Single(t => t.Id == tenant.Id);
            row.SignupEnabled = true;
            await db.SaveChangesAsync();
        }

        var html = await (await _kit.Browser(tenant.Name).GetAsync("/login")).Content.ReadAsStringAsync();

        Assert.Equal("/signup", ResetKit.Href(html, "signup"));
    }

    [Fact]
    public async Task Forgot_then_reset_logs_the_user_in_at_the_client_and_the_new_password_replaces_the_old()
    {
        await factory.StartAsync();
        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb", loginUrl: "https://app.example/login");
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        var loginHtml = await (await browser.GetAsync(start.Headers.Location!.OriginalString)).Content.ReadAsStringAsync();

        var sent = await ResetKit.ForgotAsync(browser, email, ResetKit.Href(loginHtml, "forgot-password")!);
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        Assert.True(ResetKit.Has(await sent.Content.ReadAsStringAsync(), "check-email"));

        var link = await _kit.ResetLinkAsync(email, tenant.Name);
        var form = await (await browser.GetAsync(link)).Content.ReadAsStringAsync();
        Assert.True(ResetKit.Has(form, "password-hints"));
        Assert.Contains("At least 8 characters", form, StringComparison.Ordinal);

        var done = await ResetKit.SetPasswordAsync(browser, link, ResetKit.NewPassword);
        Assert.Equal(HttpStatusCode.SeeOther, done.StatusCode);
        var handoff = done.Headers.Location!;
        Assert.StartsWith($"https://{LanyardFactory.TenantHost(tenant.Name)}/api/v1/password-reset/create-auth-session?auth_session_code=",
            handoff.AbsoluteUri, StringComparison.Ordinal);

        var landed = await browser.GetAsync(handoff);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.StartsWith("https://app.example/login?", landed.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains(landed.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal));

        // The new session is good for a silent authorization.
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        parameters["prompt"] = "none";
        var silent = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        Assert.Equal(HttpStatusCode.Redirect, silent.StatusCode);
        Assert.True(OAuthFlow.Query(silent.Headers.Location!).ContainsKey("code"));

        var changed = await factory.Emails.WaitForAsync(email, EmailTypes.PasswordChanged);
        Assert.NotNull(changed);

        var fresh = _kit.Browser(tenant.Name);
        var loginPage = (await fresh.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)))).Headers.Location!.OriginalString;
        var old = await Flow.SubmitLoginAsync(fresh, loginPage, email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        var renewed = await Flow.SubmitLoginAsync(fresh, loginPage, email, ResetKit.NewPassword);
        Assert.Equal(HttpStatusCode.SeeOther, renewed.StatusCode);
    }

    [Fact]
    public async Task A_reset_revokes_earlier_refresh_tokens_access_tokens_and_sessions()
    {
        await factory.StartAsync();
        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var victimBrowser = _kit.Browser(tenant.Name);
        var (tokens, _) = await Flow.LoginAsync(client, tenant.Name, email, browser: victimBrowser);
        Assert.NotNull(tokens.RefreshToken);

        var browser = _kit.Browser(tenant.Name);
        await ResetKit.ForgotAsync(browser, email);
        var done = await ResetKit.SetPasswordAsync(browser, await _kit.ResetLinkAsync(email, tenant.Name), ResetKit.NewPassword);
        Assert.Equal(HttpStatusCode.SeeOther, done.StatusCode);

        var refreshed = await Flow.RefreshAsync(client, tokens.RefreshToken!);
        Assert.Equal(HttpStatusCode.BadRequest, refreshed.StatusCode);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(refreshed));
        Assert.Equal(HttpStatusCode.Unauthorized, (await Flow.UserinfoAsync(tokens.AccessToken)).StatusCode);

        // The old session cookie no longer authorizes: the browser is sent to log in again.
        var again = await victimBrowser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.StartsWith("/login", again.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_inactive_and_known_accounts_get_the_same_page_and_only_the_active_one_gets_mail()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var inactiveEmail = $"i{Guid.NewGuid():N}@example.com";
        var inactive = await factory.CreateUserAsync(tenant, inactiveEmail);
        await _kit.SetUserStatusAsync(tenant, inactive.Id, UserStatus.Inactive);
        var unknown = $"nobody{Guid.NewGuid():N}@example.com";
        var browser = _kit.Browser(tenant.Name);

        var known = await ResetKit.ForgotAsync(browser, email);
        var missing = await ResetKit.ForgotAsync(browser, unknown);
        var elsewhere = await ResetKit.ForgotAsync(browser, inactiveEmail);

        Assert.Equal(HttpStatusCode.OK, known.StatusCode);
        Assert.Equal(known.StatusCode, missing.StatusCode);
        Assert.Equal(known.StatusCode, elsewhere.StatusCode);
        var body = await known.Content.ReadAsStringAsync();
        Assert.True(ResetKit.Has(body, "check-email"));
        Assert.Equal(body, await missing.Content.ReadAsStringAsync());
        Assert.Equal(body, await elsewhere.Content.ReadAsStringAsync());
        await _kit.ResetLinkAsync(email, tenant.Name);
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(unknown));
        Assert.Equal(0, await _kit.ResetEmailCountAsync(inactiveEmail));
    }

    [Fact]
    public async Task An_inactive_user_gets_no_mail_and_cannot_complete_a_reset_begun_while_active()
    {
        await factory.StartAsync();
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        await ResetKit.ForgotAsync(browser, email);
        var link = await _kit.ResetLinkAsync(email, tenant.Name);

        await _kit.SetUserStatusAsync(tenant, user.Id, UserStatus.Inactive);
        await ResetKit.ForgotAsync(browser, email);

        var page = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.True(ResetKit.Has(await page.Content.ReadAsStringAsync(), "invalid-link"));
        Assert.Equal(1, await _kit.ResetEmailCountAsync(email));
    }

    [Fact]
    public async Task A_used_code_is_refused_and_the_refusal_page_links_to_a_new_request()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        await ResetKit.ForgotAsync(browser, email);
        var link = await _kit.ResetLinkAsync(email, tenant.Name);
        var form = await (await browser.GetAsync(link)).Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.SeeOther, (await ResetKit.SetPasswordAsync(browser, link, ResetKit.NewPassword)).StatusCode);

        var again = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        var html = await again.Content.ReadAsStringAsync();
        Assert.True(ResetKit.Has(html, "invalid-link"));
        Assert.Equal("/forgot-password", ResetKit.Href(html, "forgot-password"));

        // Re-posting the form of the first visit (same code, valid antiforgery token) changes nothing.
        var replay = await browser.PostAsync("/reset-password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Code"] = ResetKit.Code(link),
            ["Input.NewPassword"] = "yet another password 99",
            ["Input.ConfirmPassword"] = "yet another password 99",
            ["__lanyard_af"] = ResetKit.Hidden(form, "__lanyard_af")!,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, replay.StatusCode);
        Assert.True(ResetKit.Has(await replay.Content.ReadAsStringAsync(), "invalid-link"));
    }

    [Fact]
    public async Task An_expired_code_is_refused()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        await ResetKit.ForgotAsync(browser, email);
        var link = await _kit.ResetLinkAsync(email, tenant.Name);

        factory.Time.Advance(TimeSpan.FromMinutes(61));

        var page = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.True(ResetKit.Has(await page.Content.ReadAsStringAsync(), "invalid-link"));
    }

    [Fact]
    public async Task Only_the_newest_emailed_code_works()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        await ResetKit.ForgotAsync(browser, email);
        var first = await _kit.ResetLinkAsync(email, tenant.Name);
        await ResetKit.ForgotAsync(browser, email);
        var second = await _kit.ResetLinkAsync(email, tenant.Name, count: 2);

        Assert.Equal(HttpStatusCode.BadRequest, (await browser.GetAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(second)).StatusCode);
    }

    [Fact]
    public async Task A_code_of_tenant_A_is_refused_on_tenant_B_and_is_not_spent_there()
    {
        await factory.StartAsync();
        var (tenantA, email, _) = await _kit.TenantWithUserAsync();
        var (tenantB, _, _) = await _kit.TenantWithUserAsync();
        var browserA = _kit.Browser(tenantA.Name);
        await ResetKit.ForgotAsync(browserA, email);
        var link = await _kit.ResetLinkAsync(email, tenantA.Name);
        var onB = "/reset-password?code=" + ResetKit.Code(link);
        var browserB = _kit.Browser(tenantB.Name);

        var page = await browserB.GetAsync(onB);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        var formOnB = await (await browserB.GetAsync("/forgot-password")).Content.ReadAsStringAsync();
        var post = await browserB.PostAsync("/reset-password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.Code"] = ResetKit.Code(link),
            ["Input.NewPassword"] = ResetKit.NewPassword,
            ["Input.ConfirmPassword"] = ResetKit.NewPassword,
            ["__lanyard_af"] = ResetKit.Hidden(formOnB, "__lanyard_af")!,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);

        Assert.Equal(HttpStatusCode.SeeOther, (await ResetKit.SetPasswordAsync(browserA, link, ResetKit.NewPassword)).StatusCode);
    }

    [Fact]
    public async Task A_code_of_another_purpose_is_no_reset_code()
    {
        await factory.StartAsync();
        var (tenant, _, user) = await _kit.TenantWithUserAsync();
        string activation;
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            activation = await scope.ServiceProvider.GetRequiredService<WorkflowCodes>()
                .IssueAsync(tenant.Id, user.Id, WorkflowPurpose.UserActivation, TimeSpan.FromHours(1), null, CancellationToken.None);
            await LanyardFactory.Db(scope).SaveChangesAsync();
        }

        var page = await _kit.Browser(tenant.Name).GetAsync("/reset-password?code=" + activation);

        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.True(ResetKit.Has(await page.Content.ReadAsStringAsync(), "invalid-link"));
    }

    [Fact]
    public async Task A_forged_forwarded_host_still_mails_the_configured_tenant_link()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        browser.DefaultRequestHeaders.Add("X-Forwarded-Host", "evil.example");
        browser.DefaultRequestHeaders.Add("X-Forwarded-Proto", "http");

        var sent = await ResetKit.ForgotAsync(browser, email);

        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var message = await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset);
        Assert.DoesNotContain("evil.example", message.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("evil.example", message.HtmlBody, StringComparison.Ordinal);
        Assert.StartsWith($"https://{tenant.Name}-auth.localhost/reset-password?code=", await _kit.ResetLinkAsync(email, tenant.Name), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Emails_per_account_are_capped_silently_and_requests_per_address_get_429()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 7; i++)
        {
            answers.Add(await ResetKit.ForgotAsync(browser, email));
        }

        foreach (var answer in answers)
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.True(ResetKit.Has(await answer.Content.ReadAsStringAsync(), "check-email"));
        }
        await _kit.ResetLinkAsync(email, tenant.Name, count: 5);
        Assert.Equal(5, await _kit.ResetEmailCountAsync(email));

        for (var i = 7; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await ResetKit.ForgotAsync(browser, $"n{i}{Guid.NewGuid():N}@example.com")).StatusCode);
        }

        var throttled = await ResetKit.ForgotAsync(browser, email);
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Contains("Too many requests", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Another address is not affected.
        Assert.Equal(HttpStatusCode.OK, (await ResetKit.ForgotAsync(_kit.Browser(tenant.Name), "someone@example.com")).StatusCode);
    }

    [Fact]
    public async Task Policy_violations_and_a_mismatch_are_shown_and_the_code_stays_usable()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Password, "{\"minimumLength\":12,\"digitRequired\":true}", tenant);
        var browser = _kit.Browser(tenant.Name);
        await ResetKit.ForgotAsync(browser, email);
        var link = await _kit.ResetLinkAsync(email, tenant.Name);

        var form = await (await browser.GetAsync(link)).Content.ReadAsStringAsync();
        Assert.Contains("At least 12 characters, a digit", form, StringComparison.Ordinal);

        var weak = await ResetKit.SetPasswordAsync(browser, link, "short", "different");
        Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
        var html = await weak.Content.ReadAsStringAsync();
        Assert.True(ResetKit.Has(html, "errors"));
        Assert.Contains("at least 12 characters", html, StringComparison.Ordinal);
        Assert.Contains("must contain a digit", html, StringComparison.Ordinal);
        Assert.Contains("do not match", html, StringComparison.Ordinal);

        var mismatch = await ResetKit.SetPasswordAsync(browser, link, "long enough password 1", "long enough password 2");
        Assert.Contains("do not match", await mismatch.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.SeeOther, (await ResetKit.SetPasswordAsync(browser, link, "long enough password 1")).StatusCode);
    }

    [Fact]
    public async Task Without_immediate_login_the_page_says_password_changed_and_links_to_sign_in()
    {
        await factory.StartAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.PasswordResetWorkflow, "{\"immediateLogin\":false}", tenant);
        var browser = _kit.Browser(tenant.Name);
        await ResetKit.ForgotAsync(browser, email);

        var done = await ResetKit.SetPasswordAsync(browser, await _kit.ResetLinkAsync(email, tenant.Name), ResetKit.NewPassword);

        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var html = await done.Content.ReadAsStringAsync();
        Assert.True(ResetKit.Has(html, "password-changed"));
        Assert.Equal("/login", ResetKit.Href(html, "sign-in"));
        Assert.False(done.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal)));
        await factory.Emails.WaitForAsync(email, EmailTypes.PasswordChanged);
    }

    [Fact]
    public async Task Posting_the_form_without_a_code_is_refused()
    {
        await factory.StartAsync();
        var (tenant, _, _) = await _kit.TenantWithUserAsync();
        var browser = _kit.Browser(tenant.Name);
        var page = await (await browser.GetAsync("/forgot-password")).Content.ReadAsStringAsync();

        var post = await browser.PostAsync("/reset-password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["Input.NewPassword"] = ResetKit.NewPassword,
            ["Input.ConfirmPassword"] = ResetKit.NewPassword,
            ["__lanyard_af"] = ResetKit.Hidden(page, "__lanyard_af")!,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.True(ResetKit.Has(await post.Content.ReadAsStringAsync(), "invalid-link"));
    }
}

public sealed class ResetPageOnSqlite(ResetSqliteLanyard factory) : ResetPageTests(factory), IClassFixture<ResetSqliteLanyard>;

public sealed class ResetPageOnPostgres(ResetPostgresLanyard factory) : ResetPageTests(factory), IClassFixture<ResetPostgresLanyard>;

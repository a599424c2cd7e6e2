using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Persistence;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// The email workflows in Chromium, with Lanyard delivering over SMTP to a real SMTP server process and the
/// tests reading the links from it: signup and activation into the Express sample (Wristband's SDK) with
/// <c>state</c> kept, tenant-signup refusal, an expired link and the resend, email-verification mode,
/// password reset revoking the old refresh token, an accepted invitation, and a self-hosted activation page
/// that redeems the code through the workflow API.
/// </summary>
public sealed class WorkflowEmailTests(MailBrowserRig rig) : IClassFixture<MailBrowserRig>, IAsyncLifetime
{
    private readonly int _appPort = ServerProcess.FreePort();
    private TestClient _client = null!;
    private ExpressApp _app = null!;

    private string AppOrigin => $"https://localhost:{_appPort}";

    private KestrelLanyard Lanyard => rig.Lanyard;

    private SmtpMailbox Mailbox => rig.Mailbox!;

    public async ValueTask InitializeAsync()
    {
        _client = await new OAuthFlow(Lanyard).CreateClientAsync(
            OAuthClientType.BackendServer, $"{AppOrigin}/auth/callback", loginUrl: $"{AppOrigin}/auth/login");
        await using (var scope = Lanyard.ScopeFor(Lanyard.Bootstrap.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var application = await db.Applications.AsTracking().SingleAsync(a => a.Id == Lanyard.Bootstrap.ApplicationId);
            application.SignupEnabled = true;
            application.LoginUrl = $"{AppOrigin}/auth/login";
            await db.SaveChangesAsync();
        }

        _app = await rig.StartAppAsync(new Dictionary<string, string>
        {
            ["PORT"] = _appPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LANYARD_CLIENT_ID"] = _client.Id,
            ["LANYARD_CLIENT_SECRET"] = _client.Secret!,
            ["LANYARD_M2M_CLIENT_ID"] = Lanyard.Bootstrap.AdminClientId,
            ["LANYARD_M2M_CLIENT_SECRET"] = Lanyard.Bootstrap.AdminClientSecret,
        });
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Application_signup_and_the_activation_email_sign_the_user_into_the_app_with_state_kept()
    {
        var (tenantName, email) = NewIdentity("act");
        await using var browser = await BrowserAsync();

        await SignUpAsync(browser.Page, tenantName, email, state: "promo-Ω&x=1");
        var link = await LinkAsync(email, $"https://{Lanyard.TenantAuthority(tenantName)}/activate?code=");
        await browser.Page.GotoAsync(link);

        await AssertSignedInAsync(browser, email, tenantName);
        var toLogin = browser.Navigations().Where(n => n.StartsWith($"GET {AppOrigin}/auth/login?", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(toLogin);
        Assert.Equal("promo-Ω&x=1", OAuthFlow.Query(new Uri(toLogin[0]["GET ".Length..]))["state"]);
        Assert.DoesNotContain(browser.Navigations(), n => n.Contains($"{Lanyard.TenantAuthority(tenantName)}/login", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tenant_signup_refuses_an_email_outside_the_allowed_domains()
    {
        var tenant = await Lanyard.CreateTenantAsync();
        await using (var scope = Lanyard.ScopeFor(tenant.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var row = await db.Tenants.AsTracking().SingleAsync(t => t.Id == tenant.Id);
            row.SignupEnabled = true;
            row.AllowedSignupEmailDomains = ["acme.test"];
            await db.SaveChangesAsync();
        }

        var email = $"outsider{Guid.NewGuid():N}@elsewhere.test";
        await using var browser = await BrowserAsync();
        await browser.Page.GotoAsync($"https://{Lanyard.TenantAuthority(tenant.NormalizedName)}/signup");
        await browser.Page.Locator("input[name='Input.Email']").FillAsync(email);
        await browser.Page.Locator("input[name='Input.Password']").FillAsync("a long enough password");
        await browser.Page.Locator("button[type=submit]").NavigateByClickAsync();

        await Assertions.Expect(browser.Page.Locator(".field-error").First).ToContainTextAsync("acme.test");
        await using var check = Lanyard.ScopeFor(tenant.ApplicationId, tenant.Id);
        Assert.False(await LanyardFactory.Db(check).Users.AnyAsync(u => u.Email == email));
        await Task.Delay(500);
        Assert.DoesNotContain(await Mailbox.MessagesAsync(), m => m.To.Contains(email));
    }

    [Fact]
    public async Task An_expired_activation_link_is_refused_and_signing_up_again_resends_without_creating_anything()
    {
        var (tenantName, email) = NewIdentity("exp");
        await using var browser = await BrowserAsync();
        await SignUpAsync(browser.Page, tenantName, email);
        var first = await LinkAsync(email, $"https://{Lanyard.TenantAuthority(tenantName)}/activate?code=");

        Lanyard.Time.Advance(TimeSpan.FromDays(2));
        await browser.Page.GotoAsync(first);
        await Assertions.Expect(browser.Page.GetByTestId("activation-invalid")).ToBeVisibleAsync();

        await SignUpAsync(browser.Page, tenantName, email);
        var second = await LinkAsync(email, $"https://{Lanyard.TenantAuthority(tenantName)}/activate?code=", count: 2);
        Assert.NotEqual(first, second);
        await using (var scope = Lanyard.ScopeFor(Lanyard.Bootstrap.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            Assert.Equal(1, await db.Tenants.CountAsync(t => t.NormalizedName == tenantName));
            Assert.Equal(1, await db.Users.IgnoreQueryFilters([QueryFilters.Tenant]).CountAsync(u => u.Email == email));
        }

        await browser.Page.GotoAsync(second);
        await AssertSignedInAsync(browser, email, tenantName);
    }

    [Fact]
    public async Task Email_verification_mode_signs_in_at_once_and_the_link_verifies_the_address()
    {
        var (tenantName, email) = NewIdentity("ver");
        await Lanyard.SetPolicyAsync(PolicyKind.SignupWorkflow, """{"verification":"EMAIL_VERIFICATION"}""");
        try
        {
            await using var browser = await BrowserAsync();
            await SignUpAsync(browser.Page, tenantName, email, expectCheckEmail: false);
            await AssertSignedInAsync(browser, email, tenantName);
            Assert.False(await EmailVerifiedAsync(email));

            var link = await LinkAsync(email, $"https://{Lanyard.TenantAuthority(tenantName)}/verify-email?code=");
            await browser.Page.GotoAsync(link);
            await Assertions.Expect(browser.Page.GetByTestId("verified")).ToBeVisibleAsync();
            Assert.True(await EmailVerifiedAsync(email));
        }
        finally
        {
            await Lanyard.SetPolicyAsync(PolicyKind.SignupWorkflow, """{"verification":"USER_ACTIVATION"}""");
        }
    }

    [Fact]
    public async Task Forgot_password_and_reset_end_the_old_refresh_token()
    {
        var tenant = await Lanyard.CreateTenantAsync();
        var email = $"reset{Guid.NewGuid():N}@example.com";
        await Lanyard.CreateUserAsync(tenant, email, "the old password 1");

        // Browser A signs into the app: the app's session holds a refresh token from before the reset.
        await using var before = await BrowserAsync();
        await before.Page.GotoAsync($"{AppOrigin}/auth/login?tenant_domain={tenant.NormalizedName}");
        await SignInOnLanyardAsync(before.Page, email, "the old password 1");
        await AssertSignedInAsync(before, email, tenant.NormalizedName);

        // Browser B resets the password through the emailed link.
        await using var after = await BrowserAsync();
        await after.Page.GotoAsync($"https://{Lanyard.TenantAuthority(tenant.NormalizedName)}/login");
        await after.Page.GetByTestId("forgot-password").NavigateByClickAsync();
        await after.Page.Locator("input[name='Input.Identifier']").FillAsync(email);
        await after.Page.Locator("button[type=submit]").NavigateByClickAsync();
        await Assertions.Expect(after.Page.GetByTestId("check-email")).ToBeVisibleAsync();
        var link = await LinkAsync(email, $"https://{Lanyard.TenantAuthority(tenant.NormalizedName)}/reset-password?code=");
        await after.Page.GotoAsync(link);
        await after.Page.Locator("input[name='Input.NewPassword']").FillAsync("a brand new password 2");
        await after.Page.Locator("input[name='Input.ConfirmPassword']").FillAsync("a brand new password 2");
        await after.Page.Locator("button[type=submit]").NavigateByClickAsync();
        await after.Page.WaitForURLAsync(url => url.StartsWith(AppOrigin + "/", StringComparison.Ordinal) && !url.Contains("/auth/", StringComparison.Ordinal));
        await Mailbox.WaitForMessageAsync(email, m => m.EmailType == "PASSWORD_CHANGED");

        // Browser A's refresh is refused: the app drops its session and starts a new login, which asks for credentials.
        await before.Page.GotoAsync($"{AppOrigin}/refresh");
        await before.Page.WaitForURLAsync(url => url.Contains($"{Lanyard.TenantAuthority(tenant.NormalizedName)}/login", StringComparison.Ordinal));
        await Assertions.Expect(before.Page.Locator("input[name='Input.Password']")).ToBeVisibleAsync();
        Assert.Contains(before.Navigations(), n => n.StartsWith($"GET {AppOrigin}/auth/login?tenant_domain=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_accepted_invitation_signs_the_new_user_in()
    {
        var tenant = await Lanyard.CreateTenantAsync();
        var email = $"invitee{Guid.NewGuid():N}@example.com";
        using (var api = await AdminApiAsync())
        {
            var invite = await api.PostAsJsonAsync("/api/v1/new-user-invitation/invite-user", new { tenantId = tenant.Id, email, rolesToAssign = Array.Empty<string>() });
            Assert.True(invite.IsSuccessStatusCode, await invite.Content.ReadAsStringAsync());
        }

        var link = await LinkAsync(email, $"https://{Lanyard.TenantAuthority(tenant.NormalizedName)}/accept-invite?code=");
        await using var browser = await BrowserAsync();
        await browser.Page.GotoAsync(link);
        await Assertions.Expect(browser.Page.GetByTestId("email")).ToHaveValueAsync(email);
        await browser.Page.Locator("input[name='Input.Password']").FillAsync("invited and ready 3");
        await browser.Page.Locator("input[name='Input.PasswordConfirmation']").FillAsync("invited and ready 3");
        await browser.Page.Locator("button[type=submit]").NavigateByClickAsync();

        await AssertSignedInAsync(browser, email, tenant.NormalizedName);
    }

    [Fact]
    public async Task A_self_hosted_activation_page_redeems_the_code_through_the_workflow_api()
    {
        var (tenantName, email) = NewIdentity("self");
        await Lanyard.SetPolicyAsync(PolicyKind.Email, $$"""{"actionLinkUrl":"{{AppOrigin}}/self-hosted/activate"}""", subKey: "USER_ACTIVATION");
        try
        {
            await using var browser = await BrowserAsync();
            await SignUpAsync(browser.Page, tenantName, email, state: "self-hosted");
            var link = await LinkAsync(email, $"{AppOrigin}/self-hosted/activate?code=");
            await browser.Page.GotoAsync(link);

            await AssertSignedInAsync(browser, email, tenantName);
            Assert.Contains(browser.Navigations(), n => n.StartsWith($"GET https://{Lanyard.TenantAuthority(tenantName)}/api/v1/user-activation/create-auth-session?", StringComparison.Ordinal));

            // The code was used up by the API: opening the link again is refused by the page of the app.
            await browser.Page.GotoAsync(link);
            await Assertions.Expect(browser.Page.Locator("#error")).ToBeVisibleAsync();
        }
        finally
        {
            await Lanyard.SetPolicyAsync(PolicyKind.Email, "{}", subKey: "USER_ACTIVATION");
        }
    }

    private static (string TenantName, string Email) NewIdentity(string prefix) =>
        ($"{prefix}{Guid.NewGuid().ToString("N")[..10]}", $"{prefix}{Guid.NewGuid():N}@example.com");

    private async Task SignUpAsync(IPage page, string tenantName, string email, string? state = null, bool expectCheckEmail = true)
    {
        var query = $"client_id={_client.Id}" + (state is null ? "" : "&state=" + Uri.EscapeDataString(state));
        await page.GotoAsync($"https://{Lanyard.VanityDomain}/signup?{query}");
        await page.Locator("input[name='Input.TenantName']").FillAsync(tenantName);
        await page.Locator("input[name='Input.Email']").FillAsync(email);
        await page.Locator("input[name='Input.Password']").FillAsync("a long enough password");
        await page.Locator("button[type=submit]").NavigateByClickAsync();
        if (expectCheckEmail)
        {
            await Assertions.Expect(page.GetByTestId("check-email")).ToBeVisibleAsync();
        }
    }

    private static async Task SignInOnLanyardAsync(IPage page, string email, string password)
    {
        await page.Locator("input[name='Input.Identifier']").FillAsync(email);
        await page.Locator("input[name='Input.Password']").FillAsync(password);
        await page.Locator("button[type=submit]").NavigateByClickAsync();
    }

    private Task AssertSignedInAsync(Browser browser, string email, string tenantName) =>
        browser.Trail.RunAsync(Lanyard, async () =>
        {
            await browser.Page.WaitForURLAsync(AppOrigin + "/");
            Assert.Equal($"Signed in as {email}", await browser.Page.Locator("#user").InnerTextAsync());
            Assert.Equal($"Tenant: {tenantName}", await browser.Page.Locator("#tenant").InnerTextAsync());
        }, () => $"Express app output:{Environment.NewLine}{_app.Output}");

    private async Task<string> LinkAsync(string email, string prefix, int count = 1)
    {
        var messages = new List<MailboxMessage>();
        for (var deadline = DateTime.UtcNow.AddSeconds(15); messages.Count < count; await Task.Delay(100))
        {
            messages = [.. (await Mailbox.MessagesAsync()).Where(m => m.To.Contains(email, StringComparer.OrdinalIgnoreCase) && m.Text?.Contains(prefix, StringComparison.Ordinal) == true)];
            Assert.True(DateTime.UtcNow < deadline, $"No email #{count} to {email} with a link {prefix}…");
        }

        return SmtpMailbox.FirstLink(messages[count - 1].Text!, prefix) ?? throw new InvalidOperationException("no link");
    }

    private async Task<bool> EmailVerifiedAsync(string email)
    {
        await using var scope = Lanyard.ScopeFor(Lanyard.Bootstrap.ApplicationId);
        return await LanyardFactory.Db(scope).Users.IgnoreQueryFilters([QueryFilters.Tenant])
            .Where(u => u.Email == email).Select(u => u.EmailVerified).SingleAsync();
    }

    /// <summary>An API client on Lanyard's plain-HTTP port (the Host header picks the application), with an Application Admin Client token.</summary>
    private async Task<HttpClient> AdminApiAsync()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Lanyard.HttpPort}/") };
        http.DefaultRequestHeaders.Host = LanyardFactory.ApplicationHost;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(
            System.Text.Encoding.UTF8.GetBytes($"{Lanyard.Bootstrap.AdminClientId}:{Lanyard.Bootstrap.AdminClientSecret}")));
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var token = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private async Task<Browser> BrowserAsync()
    {
        var context = await rig.Browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        return new Browser(context, page);
    }

    /// <summary>One browser profile (its own cookies) and the navigations it made.</summary>
    private sealed class Browser(IBrowserContext context, IPage page) : IAsyncDisposable
    {
        public IBrowserContext Context { get; } = context;

        public IPage Page { get; } = page;

        public NavigationTrail Trail { get; } = NavigationTrail.Follow(page);

        public IReadOnlyList<string> Navigations() => Trail.Requests();

        public async ValueTask DisposeAsync() => await Context.CloseAsync();
    }
}

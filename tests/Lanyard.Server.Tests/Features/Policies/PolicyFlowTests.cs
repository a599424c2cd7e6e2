using System.Net;
using System.Text.Json;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Invitations;
using Lanyard.Server.Tests.Features.PasswordReset;
using Lanyard.Server.Tests.Features.Signup;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Policies;

/// <summary>
/// One flow per policy kind that reads its policy through the resolver: the tenant's override is set through
/// the management API, the flow changes; the override is toggled off, the flow is back to the application's.
/// </summary>
public abstract class PolicyFlowTests(LanyardFactory factory) : IAsyncLifetime
{
    private readonly PolicyApiKit _kit = new(factory);
    private readonly OAuthFlow _flow = new(factory);

    public async ValueTask InitializeAsync()
    {
        factory.RequireDatabase();
        await factory.StartAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Password_policy_minimum_length_refuses_a_reset()
    {
        var (tenant, email) = await TenantWithUserAsync();
        await OverrideAsync("password-policies", "password-policy", tenant, new { minimumLength = 24 });

        var code = await ResetCodeAsync(tenant, email, 1);
        using var refused = await _kit.PostAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("too_short", await PolicyApiKit.ViolationsAsync(refused, "newPassword"));

        await SwitchAsync("password-policy", tenant, "DISABLED");
        using var accepted = await _kit.PostAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Auth_session_absolute_lifetime_ends_a_session_earlier()
    {
        var (tenant, email) = await TenantWithUserAsync();
        await OverrideAsync("auth-session-policies", "auth-session-policy", tenant, new { absoluteExpirationMinutes = 30 });

        var browser = _flow.Browser(tenant.Name);
        await AuthorizeAsync(browser, email);
        factory.Time.Advance(TimeSpan.FromMinutes(29));
        Assert.False(await MustLogInAsync(browser), "the session ended before its 30 minutes");
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(await MustLogInAsync(browser), "the session outlived the tenant's 30-minute absolute lifetime");

        // Back on the application's lifetime (7 days by default): 31 minutes are nothing.
        await SwitchAsync("auth-session-policy", tenant, "DISABLED");
        var again = _flow.Browser(tenant.Name);
        await AuthorizeAsync(again, email);
        factory.Time.Advance(TimeSpan.FromMinutes(31));
        Assert.False(await MustLogInAsync(again));
    }

    [Fact]
    public async Task Auth_session_idle_lifetime_applies_to_sessions_already_open()
    {
        var (tenant, email) = await TenantWithUserAsync();
        var browser = _flow.Browser(tenant.Name);
        await AuthorizeAsync(browser, email);

        // Shortening the idle lifetime ends an open session at its next use, not only new ones.
        await OverrideAsync("auth-session-policies", "auth-session-policy", tenant, new { idleExpirationMinutes = 10 });
        factory.Time.Advance(TimeSpan.FromMinutes(11));
        Assert.True(await MustLogInAsync(browser));
    }

    [Fact]
    public async Task Page_branding_colours_and_logo_appear_on_the_login_page()
    {
        var tenant = await factory.CreateTenantAsync();
        await OverrideAsync("page-brandings", "page-branding", tenant, new
        {
            primaryButtonBackgroundColor = "#123456", pageBackgroundColor = "#abcdef", logoUrl = "https://cdn.example.com/acme.png", logoHeightPixels = 64,
        });

        var (html, css) = await LoginPageAsync(tenant);
        Assert.Contains("<meta name=\"theme-color\" content=\"#123456\">", html, StringComparison.Ordinal);
        Assert.Contains("src=\"https://cdn.example.com/acme.png\"", html, StringComparison.Ordinal);
        Assert.Contains("--primary:#123456;", css, StringComparison.Ordinal);
        Assert.Contains("--bg:#abcdef;", css, StringComparison.Ordinal);
        Assert.Contains("--logo-height:64px;", css, StringComparison.Ordinal);

        // Another tenant, and this tenant once its override is off, keep Lanyard's look.
        var (otherHtml, otherCss) = await LoginPageAsync(await factory.CreateTenantAsync());
        Assert.DoesNotContain("#123456", otherHtml + otherCss, StringComparison.Ordinal);
        await SwitchAsync("page-branding", tenant, "DISABLED");
        (html, css) = await LoginPageAsync(tenant);
        Assert.DoesNotContain("#123456", html + css, StringComparison.Ordinal);
        Assert.DoesNotContain("acme.png", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Page_branding_that_bypassed_the_api_cannot_inject_css_or_html()
    {
        // Written straight to the table, as a migration, an older version or a hand-edited row might: the page
        // must still write nothing but checked colours, clamped sizes and an https logo, HTML-encoded.
        var tenant = await factory.CreateTenantAsync();
        await factory.SetPolicyAsync(Lanyard.Server.Features.Policies.PolicyKind.PageBranding, JsonSerializer.Serialize(new
        {
            primaryButtonBackgroundColor = "#000000;}body{background:url(https://evil.example/css)}",
            pageBackgroundColor = "red",
            panelTextColor = "#123456\n}*{display:none",
            linkColor = "#a1b2c3",
            logoUrl = "https://evil.example/x.png\" onerror=\"alert(1)",
            logoHeightPixels = 99999,
        }), tenant);

        var (html, css) = await LoginPageAsync(tenant);
        Assert.DoesNotContain("evil.example", html + css, StringComparison.Ordinal);
        Assert.DoesNotContain("onerror", html, StringComparison.Ordinal);
        Assert.DoesNotContain("theme-color", html, StringComparison.Ordinal);
        Assert.DoesNotContain("url(", css, StringComparison.Ordinal);
        Assert.DoesNotContain("display", css, StringComparison.Ordinal);
        Assert.DoesNotContain("red", css, StringComparison.Ordinal);
        Assert.Equal(":root{--link:#a1b2c3;--logo-height:200px;}\n", css);

        // Angle brackets never make it into a logo URL; a valid one is written as an encoded attribute.
        await factory.SetPolicyAsync(Lanyard.Server.Features.Policies.PolicyKind.PageBranding,
            """{"logoUrl":"https://cdn.example.com/logo.png?v=<script>"}""", tenant);
        (html, _) = await LoginPageAsync(tenant);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("cdn.example.com", html, StringComparison.Ordinal);
        await factory.SetPolicyAsync(Lanyard.Server.Features.Policies.PolicyKind.PageBranding,
            """{"logoUrl":"https://cdn.example.com/logo.png?size=2&v=1"}""", tenant);
        (html, _) = await LoginPageAsync(tenant);
        Assert.Contains("src=\"https://cdn.example.com/logo.png?size=2&amp;v=1\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_branding_stylesheet_is_cached_only_under_its_current_fingerprint()
    {
        var tenant = await factory.CreateTenantAsync();
        await OverrideAsync("page-brandings", "page-branding", tenant, new { linkColor = "#0f0f0f" });
        using var browser = _flow.Browser(tenant.Name);
        var html = await browser.GetStringAsync(new Uri("/login", UriKind.Relative));
        var start = html.IndexOf("/branding.css?v=", StringComparison.Ordinal);
        var href = html[start..html.IndexOf('"', start)];
        using var current = await browser.GetAsync(new Uri(href, UriKind.Relative));
        Assert.Contains("immutable", current.Headers.CacheControl!.ToString(), StringComparison.Ordinal);

        await _kit.PostOkAsync("/api/v1/page-brandings?upsert=true", PolicyApiKit.Body("TENANT", tenant.Id, new { linkColor = "#f0f0f0" }), HttpStatusCode.OK);
        using var stale = await browser.GetAsync(new Uri(href, UriKind.Relative));
        Assert.True(stale.Headers.CacheControl!.NoCache);
        Assert.Contains("--link:#f0f0f0;", await stale.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain(href, await browser.GetStringAsync(new Uri("/login", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Email_policy_link_lifetime_changes_when_the_link_expires()
    {
        var (tenant, email) = await TenantWithUserAsync();
        await OverrideAsync("email-policies", "email-policy", tenant, new { emailType = "PASSWORD_RESET", actionLinkLifetime = 10, actionLinkLifetimeUnit = "MINUTES" });

        var code = await ResetCodeAsync(tenant, email, 1);
        factory.Time.Advance(TimeSpan.FromMinutes(11));
        using var expired = await _kit.PostAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = ResetKit.NewPassword });
        Assert.Contains("invalid_email_auth_code", await PolicyApiKit.ViolationsAsync(expired, "emailAuthCode"));

        // The default for a reset link is an hour.
        await SwitchAsync("email-policy", tenant, "DISABLED");
        code = await ResetCodeAsync(tenant, email, 2);
        factory.Time.Advance(TimeSpan.FromMinutes(11));
        using var valid = await _kit.PostAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.OK, valid.StatusCode);
    }

    [Fact]
    public async Task Email_policy_action_link_url_points_the_email_at_the_tenants_own_page()
    {
        var (tenant, email) = await TenantWithUserAsync();
        await OverrideAsync("email-policies", "email-policy", tenant, new { emailType = "PASSWORD_RESET", actionLinkUrl = "https://{tenant_name}.app.example.com/reset" });
        await RequestResetAsync(tenant, email);
        var message = await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset);
        Assert.Contains($"https://{tenant.Name}.app.example.com/reset?code=", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Email_branding_colours_the_action_button()
    {
        var (tenant, email) = await TenantWithUserAsync();
        await OverrideAsync("email-brandings", "email-branding", tenant, new { primaryButtonBackgroundColor = "#0a0b0c", primaryButtonBorderRadiusPixels = 12 });
        await RequestResetAsync(tenant, email);
        var html = (await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset)).HtmlBody!;
        Assert.Contains("background:#0a0b0c", html, StringComparison.Ordinal);
        Assert.Contains("border-radius:12px", html, StringComparison.Ordinal);

        await SwitchAsync("email-branding", tenant, "DISABLED");
        await RequestResetAsync(tenant, email);
        html = (await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset, 2)).HtmlBody!;
        Assert.DoesNotContain("#0a0b0c", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Role_assignment_default_roles_are_given_at_signup()
    {
        var tenant = await factory.TenantWithSignupAsync();
        var role = await factory.CreateApplicationRoleAsync($"member{Guid.NewGuid():N}"[..20]);
        await OverrideAsync("role-assignment-policies", "role-assignment-policy", tenant, new { defaultSignupRoles = new[] { role.Id } });

        var withRole = await SignupAsync(tenant);
        Assert.Contains(role.Name, await factory.RoleNamesAsync(tenant.Id, withRole.GetProperty("userId").GetString()!));

        await SwitchAsync("role-assignment-policy", tenant, "DISABLED");
        var without = await SignupAsync(tenant);
        Assert.Empty(await factory.RoleNamesAsync(tenant.Id, without.GetProperty("userId").GetString()!));
    }

    [Fact]
    public async Task User_schema_required_field_appears_on_the_signup_form()
    {
        var tenant = await factory.TenantWithSignupAsync();
        Assert.DoesNotContain("Input.GivenName", await SignupFormAsync(tenant), StringComparison.Ordinal);

        await OverrideAsync("user-schemas", "user-schema", tenant, new { givenNameRequired = true });
        Assert.Contains("name=\"Input.GivenName\"", await SignupFormAsync(tenant), StringComparison.Ordinal);
        using var missing = await _kit.PostAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email = SignupKit.NewEmail(), password = SignupKit.Password });
        Assert.Contains("required", await PolicyApiKit.ViolationsAsync(missing, "givenName"));

        await SwitchAsync("user-schema", tenant, "DISABLED");
        Assert.DoesNotContain("Input.GivenName", await SignupFormAsync(tenant), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Signup_workflow_verification_decides_whether_signup_logs_in()
    {
        var tenant = await factory.TenantWithSignupAsync();
        Assert.Equal("USER_ACTIVATION_REQUIRED", (await SignupAsync(tenant)).GetProperty("result").GetString());

        await OverrideAsync("signup-workflow-policies", "signup-workflow-policy", tenant, new { verification = "EMAIL_VERIFICATION" });
        var loggedIn = await SignupAsync(tenant);
        Assert.Equal("EMAIL_VERIFICATION_PENDING", loggedIn.GetProperty("result").GetString());
        Assert.True(loggedIn.TryGetProperty("redirectUrl", out _));

        await SwitchAsync("signup-workflow-policy", tenant, "DISABLED");
        Assert.Equal("USER_ACTIVATION_REQUIRED", (await SignupAsync(tenant)).GetProperty("result").GetString());
    }

    [Fact]
    public async Task Password_reset_workflow_immediate_login_can_be_turned_off()
    {
        var (tenant, email) = await TenantWithUserAsync();
        await OverrideAsync("password-reset-workflow-policies", "password-reset-workflow-policy", tenant, new { immediateLogin = false });
        var reset = await _kit.PostOkAsync("/api/v1/password-reset/reset-password",
            new { emailAuthCode = await ResetCodeAsync(tenant, email, 1), newPassword = ResetKit.NewPassword }, HttpStatusCode.OK);
        Assert.False(reset.TryGetProperty("redirectUrl", out _));

        await SwitchAsync("password-reset-workflow-policy", tenant, "DISABLED");
        reset = await _kit.PostOkAsync("/api/v1/password-reset/reset-password",
            new { emailAuthCode = await ResetCodeAsync(tenant, email, 2), newPassword = "another brand new secret 7" }, HttpStatusCode.OK);
        Assert.True(reset.TryGetProperty("redirectUrl", out _));
    }

    [Fact]
    public async Task Invitation_workflow_custom_redirect_ends_an_accepted_invitation()
    {
        var invitations = new InvitationKit(factory);
        await invitations.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        await OverrideAsync("new-user-invitation-workflow-policies", "new-user-invitation-workflow-policy", tenant,
            new { customRedirectUrl = "https://{tenant_name}.app.example.com/welcome" });
        Assert.StartsWith($"https://{tenant.Name}.app.example.com/welcome", await AcceptNewInvitationAsync(invitations, tenant), StringComparison.Ordinal);

        await SwitchAsync("new-user-invitation-workflow-policy", tenant, "DISABLED");
        Assert.DoesNotContain("app.example.com/welcome", await AcceptNewInvitationAsync(invitations, tenant), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Existing_user_invitation_workflow_custom_redirect_ends_an_accepted_invitation()
    {
        var invitations = new InvitationKit(factory);
        await invitations.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        await OverrideAsync("existing-user-invitation-workflow-policies", "existing-user-invitation-workflow-policy", tenant,
            new { customRedirectUrl = "https://app.example.com/joined" });
        Assert.StartsWith("https://app.example.com/joined", await AcceptExistingInvitationAsync(invitations, tenant), StringComparison.Ordinal);

        await SwitchAsync("existing-user-invitation-workflow-policy", tenant, "DISABLED");
        Assert.DoesNotContain("app.example.com/joined", await AcceptExistingInvitationAsync(invitations, tenant), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_workflow_missing_password_remediation_can_be_turned_off()
    {
        var (tenant, email) = await TenantWithUserAsync(password: null);
        await OverrideAsync("login-workflow-policies", "login-workflow-policy", tenant, new { missingPasswordRemediation = false });
        var html = await SubmitLoginAsync(tenant, email, "whatever it is 123");
        Assert.DoesNotContain("data-testid=\"missing-password\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"error\"", html, StringComparison.Ordinal);

        await SwitchAsync("login-workflow-policy", tenant, "DISABLED");
        html = await SubmitLoginAsync(tenant, email, "whatever it is 123");
        Assert.Contains("data-testid=\"missing-password\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mfa_policy_required_sends_the_login_to_enrollment()
    {
        var (tenant, email) = await TenantWithUserAsync();
        await OverrideAsync("mfa-policies", "mfa-policy", tenant, new { enrollmentStrategy = "REQUIRED", allowedAuthFactors = new[] { "TOTP" } });
        Assert.StartsWith("/mfa/enroll", (await AuthorizeAsync(_flow.Browser(tenant.Name), email)).OriginalString, StringComparison.Ordinal);

        await SwitchAsync("mfa-policy", tenant, "DISABLED");
        Assert.True((await AuthorizeAsync(_flow.Browser(tenant.Name), email)).IsAbsoluteUri);
    }

    private async Task OverrideAsync(string collection, string resource, Tenant tenant, object settings)
    {
        await _kit.PostOkAsync($"/api/v1/{collection}", PolicyApiKit.Body("TENANT", tenant.Id, settings), HttpStatusCode.Created);
        await SwitchAsync(resource, tenant, "ENABLED");
    }

    private async Task SwitchAsync(string resource, Tenant tenant, string status)
    {
        using var response = await _kit.ToggleAsync(tenant, status, resource);
        Assert.True(response.IsSuccessStatusCode, $"{resource} toggle: {(int)response.StatusCode}");
    }

    private async Task<(Tenant Tenant, string Email)> TenantWithUserAsync(string? password = OAuthFlow.TestPassword)
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"f{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email, password);
        return (tenant, email);
    }

    private async Task RequestResetAsync(Tenant tenant, string email)
    {
        using var response = await _kit.PostAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id, loginIdentifier = email });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    private async Task<string> ResetCodeAsync(Tenant tenant, string email, int count)
    {
        await RequestResetAsync(tenant, email);
        var message = await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset, count);
        return ResetKit.Code(CapturingEmailSender.Link(message, $"https://{LanyardFactory.TenantHost(tenant.Name)}/reset-password?code="));
    }

    /// <summary>Authorize (logging in when asked) with the demo client; where the browser is finally sent.</summary>
    private async Task<Uri> AuthorizeAsync(HttpClient browser, string email)
    {
        var (_, challenge) = OAuthFlow.NewPkce();
        return await _flow.AuthorizeAsync(browser, OAuthFlow.AuthorizeParameters(_flow.DemoClient, challenge), email);
    }

    /// <summary>Whether an authorization request from this browser must go through the login page (no live session).</summary>
    private async Task<bool> MustLogInAsync(HttpClient browser)
    {
        var (_, challenge) = OAuthFlow.NewPkce();
        using var response = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(_flow.DemoClient, challenge)));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!.OriginalString.StartsWith("/login", StringComparison.Ordinal);
    }

    private Task<(string Html, string Css)> LoginPageAsync(Tenant tenant) => PolicyApiKit.LoginPageAsync(_flow, tenant);

    private async Task<string> SubmitLoginAsync(Tenant tenant, string email, string password)
    {
        using var browser = _flow.Browser(tenant.Name);
        using var response = await _flow.SubmitLoginAsync(browser, "/login", email, password);
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<JsonElement> SignupAsync(Tenant tenant) =>
        await _kit.PostOkAsync("/api/v1/signup/provision-user",
            new { tenantId = tenant.Id, email = SignupKit.NewEmail(), password = SignupKit.Password }, HttpStatusCode.Created);

    private async Task<string> SignupFormAsync(Tenant tenant)
    {
        using var browser = _flow.Browser(tenant.Name);
        return await browser.GetStringAsync(new Uri("/signup", UriKind.Relative));
    }

    private async Task<string> AcceptNewInvitationAsync(InvitationKit invitations, Tenant tenant)
    {
        var (_, link) = await invitations.InviteNewAsync(tenant, InvitationKit.NewEmail());
        var accepted = await _kit.PostOkAsync("/api/v1/new-user-invitation/accept-invite",
            new { emailAuthCode = InvitationKit.CodeOf(link), password = InvitationKit.Password }, HttpStatusCode.OK);
        return await FinalRedirectAsync(tenant, accepted.GetProperty("redirectUrl").GetString()!);
    }

    private async Task<string> AcceptExistingInvitationAsync(InvitationKit invitations, Tenant tenant)
    {
        var user = await invitations.CreateUserAsync(tenant, InvitationKit.NewEmail(), OAuthFlow.TestPassword, UserStatus.Inactive);
        var (_, link) = await invitations.InviteExistingAsync(tenant, user);
        var accepted = await _kit.PostOkAsync("/api/v1/existing-user-invitation/accept-invite",
            new { emailAuthCode = InvitationKit.CodeOf(link) }, HttpStatusCode.OK);
        return await FinalRedirectAsync(tenant, accepted.GetProperty("redirectUrl").GetString()!);
    }

    /// <summary>Follows a workflow's create-auth-session URL on the tenant host: where the browser ends.</summary>
    private async Task<string> FinalRedirectAsync(Tenant tenant, string createAuthSessionUrl)
    {
        using var browser = _flow.Browser(tenant.Name);
        using var response = await browser.GetAsync(new Uri(new Uri(createAuthSessionUrl).PathAndQuery, UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.Location!.ToString();
    }
}

public sealed class PolicyFlowOnSqlite(SqliteLanyard factory) : PolicyFlowTests(factory), IClassFixture<SqliteLanyard>;

public sealed class PolicyFlowOnPostgres(PostgresLanyard factory) : PolicyFlowTests(factory), IClassFixture<PostgresLanyard>;

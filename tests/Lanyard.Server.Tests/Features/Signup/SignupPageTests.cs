using System.Net;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Signup;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using static Lanyard.Server.Tests.Features.Signup.SignupKit;

namespace Lanyard.Server.Tests.Features.Signup;

/// <summary>The hosted signup, activation and email-verification pages, and the states they move a user through.</summary>
public abstract class SignupPageTests
{
    private readonly LanyardFactory factory;
    private readonly OAuthFlow _flow;

    protected SignupPageTests(LanyardFactory factory)
    {
        this.factory = factory;
        factory.With("Lanyard:Throttling:SignupsPerAddress", "100000");
        _flow = new OAuthFlow(factory);
    }

    private HttpClient AppBrowser() => factory.ClientFor(LanyardFactory.ApplicationHost);

    private async Task<(string TenantName, string Email, HttpResponseMessage Response)> AppSignupAsync(string? state = "promo-42")
    {
        await factory.SetApplicationSignupAsync(true);
        var name = NewTenantName();
        var email = NewEmail();
        var url = $"/signup?client_id={factory.Bootstrap.DemoClientId}" + (state is null ? "" : $"&state={state}");
        var response = await SubmitAsync(AppBrowser(), url, AppForm(name, email));
        return (name, email, response);
    }

    [Fact]
    public async Task Application_signup_creates_tenant_and_pending_user_with_default_roles_and_mails_the_activation_link()
    {
        await factory.StartAsync();
        var role = await factory.CreateApplicationRoleAsync("member" + Guid.NewGuid().ToString("N")[..6]);
        await factory.SetPolicyAsync(PolicyKind.RoleAssignment, $"{{\"defaultSignupRoles\":[\"{role.Name.Split(':')[^1]}\"]}}");

        var (name, email, response) = await AppSignupAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-testid=\"check-email\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var tenant = await factory.FindTenantAsync(name);
        Assert.NotNull(tenant);
        Assert.Equal(name, tenant.DisplayName);
        var user = await factory.UserAsync(tenant.Id, email);
        Assert.Equal(UserStatus.PendingSignupActivation, user.Status);
        Assert.False(user.EmailVerified);
        Assert.Equal([role.Name], await factory.RoleNamesAsync(tenant.Id, user.Id));
        var mail = await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation);
        Link(mail, name);
    }

    private static string Link(EmailMessage mail, string tenantName) =>
        CapturingEmailSender.Link(mail, $"https://{LanyardFactory.TenantHost(tenantName.ToLowerInvariant())}/activate?code=");

    [Fact]
    public async Task Activation_link_logs_the_user_in_and_the_code_flow_completes_without_a_password()
    {
        var (name, email, _) = await AppSignupAsync(state: "keep-me");
        var link = Link(await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation), name);
        var browser = factory.ClientFor(LanyardFactory.TenantHost(name.ToLowerInvariant()));

        var activated = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.Redirect, activated.StatusCode);
        var handoff = activated.Headers.Location!;
        Assert.Equal($"https://{LanyardFactory.TenantHost(name.ToLowerInvariant())}/api/v1/user-activation/create-auth-session", handoff.GetLeftPart(UriPartial.Path));
        var landed = await browser.GetAsync(handoff);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.Equal(factory.Bootstrap.DemoClientLoginUrl, landed.Headers.Location!.GetLeftPart(UriPartial.Path));
        var query = OAuthFlow.Query(landed.Headers.Location!);
        Assert.Equal("keep-me", query["state"]);
        Assert.Equal(name.ToLowerInvariant(), query["tenant_name"]);

        var tenant = (await factory.FindTenantAsync(name))!;
        var user = await factory.UserAsync(tenant.Id, email);
        Assert.Equal(UserStatus.Active, user.Status);
        Assert.True(user.EmailVerified);
        Assert.NotNull(user.ActivatedAt);
        Assert.NotNull(user.LastVerifiedAt);

        // The session cookie is on the tenant host: authorize answers with a code, no login page in between.
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var callback = await _flow.AuthorizeAsync(browser, OAuthFlow.AuthorizeParameters(_flow.DemoClient, challenge));
        var tokens = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(_flow.DemoClient, OAuthFlow.Query(callback)["code"], verifier));
        Assert.NotNull(tokens.AccessToken);

        var reused = await factory.ClientFor(LanyardFactory.TenantHost(name.ToLowerInvariant())).GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, reused.StatusCode);
        Assert.Contains("data-testid=\"activation-invalid\"", await reused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_link_is_refused_and_signing_up_again_resends_without_creating_anything()
    {
        var (name, email, _) = await AppSignupAsync();
        var first = Link(await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation), name);
        var tenants = await factory.CountTenantsAsync();
        factory.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        var host = LanyardFactory.TenantHost(name.ToLowerInvariant());

        var expired = await factory.ClientFor(host).GetAsync(first);
        Assert.Equal(HttpStatusCode.BadRequest, expired.StatusCode);

        var again = await SubmitAsync(AppBrowser(), $"/signup?client_id={factory.Bootstrap.DemoClientId}", AppForm(name.ToUpperInvariant(), email));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("data-testid=\"check-email\"", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(tenants, await factory.CountTenantsAsync());
        var tenant = (await factory.FindTenantAsync(name))!;
        Assert.Equal(UserStatus.PendingSignupActivation, (await factory.UserAsync(tenant.Id, email)).Status);

        var second = Link(await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation, count: 2), name);
        Assert.NotEqual(first, second);
        Assert.Equal(HttpStatusCode.BadRequest, (await factory.ClientFor(host).GetAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await factory.ClientFor(host).GetAsync(second)).StatusCode);
    }

    [Fact]
    public async Task A_newer_activation_email_supersedes_the_older_link()
    {
        var (name, email, _) = await AppSignupAsync();
        var first = Link(await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation), name);
        await SubmitAsync(AppBrowser(), "/signup", AppForm(name, email));
        var second = Link(await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation, count: 2), name);
        var host = LanyardFactory.TenantHost(name.ToLowerInvariant());

        Assert.Equal(HttpStatusCode.BadRequest, (await factory.ClientFor(host).GetAsync(first)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await factory.ClientFor(host).GetAsync(second)).StatusCode);
    }

    [Fact]
    public async Task A_taken_tenant_name_is_a_field_error_and_entered_values_are_kept_but_never_the_password()
    {
        var existing = await factory.CreateTenantAsync();
        await factory.SetApplicationSignupAsync(true);
        var email = NewEmail();

        var response = await SubmitAsync(AppBrowser(), "/signup", AppForm(existing.Name, email, "secret-password-9"));

        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-testid=\"error-tenantName\"", html, StringComparison.Ordinal);
        Assert.Contains("taken", html, StringComparison.Ordinal);
        Assert.Contains($"value=\"{email}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-password-9", html, StringComparison.Ordinal);
        Assert.Empty(await factory.UsersAsync(existing.Id, email));
    }

    [Fact]
    public async Task Every_invalid_field_is_reported_next_to_its_field()
    {
        await factory.SetApplicationSignupAsync(true);

        var response = await SubmitAsync(AppBrowser(), "/signup", AppForm("x", "not-an-email", "short"));

        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"error-tenantName\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"error-email\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"error-password\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_application_signup_has_no_page_and_the_login_page_no_link()
    {
        await factory.SetApplicationSignupAsync(false);
        try
        {
            Assert.Equal(HttpStatusCode.NotFound, (await AppBrowser().GetAsync("/signup")).StatusCode);
            var login = await (await AppBrowser().GetAsync("/login")).Content.ReadAsStringAsync();
            Assert.DoesNotContain("data-testid=\"signup-link\"", login, StringComparison.Ordinal);
        }
        finally
        {
            await factory.SetApplicationSignupAsync(true);
        }

        var enabled = await (await AppBrowser().GetAsync($"/login?client_id={factory.Bootstrap.DemoClientId}&state=s1")).Content.ReadAsStringAsync();
        Assert.Contains($"href=\"/signup?client_id={factory.Bootstrap.DemoClientId}&amp;state=s1\"", enabled, StringComparison.Ordinal);
        var signup = await (await AppBrowser().GetAsync($"/signup?client_id={factory.Bootstrap.DemoClientId}")).Content.ReadAsStringAsync();
        Assert.Contains($"href=\"/login?client_id={factory.Bootstrap.DemoClientId}\"", signup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tenant_signup_page_exists_only_while_the_tenant_enables_it()
    {
        await factory.SetApplicationSignupAsync(false);
        try
        {
            var closed = await factory.TenantWithSignupAsync(enabled: false);
            var open = await factory.TenantWithSignupAsync(enabled: true);

            Assert.Equal(HttpStatusCode.NotFound, (await factory.ClientFor(LanyardFactory.TenantHost(closed.Name)).GetAsync("/signup")).StatusCode);
            var page = await factory.ClientFor(LanyardFactory.TenantHost(open.Name)).GetAsync("/signup");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var html = await page.Content.ReadAsStringAsync();
            Assert.DoesNotContain("Input.TenantName", html, StringComparison.Ordinal);
            Assert.Contains("href=\"/login\"", html, StringComparison.Ordinal);
        }
        finally
        {
            await factory.SetApplicationSignupAsync(true);
        }
    }

    [Fact]
    public async Task Tenant_signup_refuses_an_email_outside_the_allowed_domains_and_accepts_one_inside()
    {
        var tenant = await factory.TenantWithSignupAsync(true, "acme.com");
        var browser = factory.ClientFor(LanyardFactory.TenantHost(tenant.Name));
        var outsider = NewEmail("example.com");

        var refused = await SubmitAsync(browser, "/signup", TenantForm(outsider));
        var html = await refused.Content.ReadAsStringAsync();
        Assert.Contains("Sign-up is limited to addresses at acme.com.", html, StringComparison.Ordinal);
        Assert.Empty(await factory.UsersAsync(tenant.Id, outsider));

        var insider = NewEmail("ACME.com");
        var accepted = await SubmitAsync(browser, "/signup", TenantForm(insider));
        Assert.Contains("data-testid=\"check-email\"", await accepted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(UserStatus.PendingSignupActivation, (await factory.UserAsync(tenant.Id, insider)).Status);
    }

    [Fact]
    public async Task Tenant_signup_with_an_active_accounts_email_answers_like_a_new_signup_and_mails_the_owner_instead()
    {
        var tenant = await factory.TenantWithSignupAsync();
        var taken = NewEmail();
        await factory.CreateUserAsync(tenant, taken);
        var fresh = NewEmail();
        var host = LanyardFactory.TenantHost(tenant.Name);

        var forTaken = await SubmitAsync(factory.ClientFor(host), "/signup", TenantForm(taken));
        var forFresh = await SubmitAsync(factory.ClientFor(host), "/signup", TenantForm(fresh));

        Assert.Equal(forFresh.StatusCode, forTaken.StatusCode);
        static string Neutral(string html, string email) =>
            System.Text.RegularExpressions.Regex.Replace(html, "(name=\"__lanyard_af\"[^>]*value=\")[^\"]*\"", "$1\"").Replace(email, "EMAIL", StringComparison.Ordinal);
        var takenHtml = Neutral(await forTaken.Content.ReadAsStringAsync(), taken);
        Assert.Equal(Neutral(await forFresh.Content.ReadAsStringAsync(), fresh), takenHtml);
        Assert.Contains("data-testid=\"check-email\"", takenHtml, StringComparison.Ordinal);
        Assert.DoesNotContain(SignupMessages.AccountExists, takenHtml, StringComparison.Ordinal);

        // Nothing is created for the taken address; its owner gets a way back in (a password-reset link), not an activation.
        Assert.Single(await factory.UsersAsync(tenant.Id, taken));
        var mail = await factory.Emails.WaitForAsync(taken, EmailTypes.PasswordReset);
        Assert.Contains($"https://{host}/reset-password?code=", mail.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain(factory.Emails.To(taken), m => m.Type == EmailTypes.UserActivation);
        await factory.Emails.WaitForAsync(fresh, EmailTypes.UserActivation);
    }

    [Fact]
    public async Task User_schema_required_fields_appear_and_are_enforced()
    {
        var tenant = await factory.TenantWithSignupAsync();
        await factory.SetPolicyAsync(PolicyKind.UserSchema, "{\"givenNameRequired\":true,\"phoneNumberRequired\":true,\"birthdateRequired\":true}", tenant);
        var browser = factory.ClientFor(LanyardFactory.TenantHost(tenant.Name));
        var email = NewEmail();

        var page = await (await browser.GetAsync("/signup")).Content.ReadAsStringAsync();
        Assert.Contains("Input.GivenName", page, StringComparison.Ordinal);
        Assert.DoesNotContain("ExternalId", page, StringComparison.OrdinalIgnoreCase);

        var form = TenantForm(email);
        form["Input.PhoneNumber"] = "0123";
        form["Input.Birthdate"] = "2999-01-01";
        var refused = await (await SubmitAsync(browser, "/signup", form)).Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"error-givenName\"", refused, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"error-phoneNumber\"", refused, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"error-birthdate\"", refused, StringComparison.Ordinal);
        Assert.Empty(await factory.UsersAsync(tenant.Id, email));

        form = TenantForm(email);
        form["Input.GivenName"] = "Ada";
        form["Input.PhoneNumber"] = "+14155550123";
        form["Input.Birthdate"] = "1990-12-10";
        await SubmitAsync(browser, "/signup", form);
        var user = await factory.UserAsync(tenant.Id, email);
        Assert.Equal("Ada", user.GivenName);
        Assert.Equal("+14155550123", user.PhoneNumber);
        Assert.Equal(new DateOnly(1990, 12, 10), user.Birthdate);
    }

    [Fact]
    public async Task Email_verification_mode_logs_in_at_once_and_the_email_stays_unverified_until_the_link_is_used()
    {
        var tenant = await factory.TenantWithSignupAsync();
        await factory.SetPolicyAsync(PolicyKind.SignupWorkflow, "{\"verification\":\"EMAIL_VERIFICATION\"}", tenant);
        var host = LanyardFactory.TenantHost(tenant.Name);
        var browser = factory.ClientFor(host);
        var email = NewEmail();

        var response = await SubmitAsync(browser, $"/signup?client_id={factory.Bootstrap.DemoClientId}&state=ev", TenantForm(email));

        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal($"https://{host}/api/v1/signup/create-auth-session", response.Headers.Location!.GetLeftPart(UriPartial.Path));
        var landed = await browser.GetAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.Equal("ev", OAuthFlow.Query(landed.Headers.Location!)["state"]);
        var user = await factory.UserAsync(tenant.Id, email);
        Assert.Equal(UserStatus.Active, user.Status);
        Assert.False(user.EmailVerified);

        var link = CapturingEmailSender.Link(await factory.Emails.WaitForAsync(email, EmailTypes.EmailVerification), $"https://{host}/verify-email?code=");
        var verified = await factory.ClientFor(host).GetAsync(link);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        var html = await verified.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"verified\"", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"continue\"", html, StringComparison.Ordinal);
        user = await factory.UserAsync(tenant.Id, email);
        Assert.True(user.EmailVerified);
        Assert.NotNull(user.LastVerifiedAt);

        Assert.Equal(HttpStatusCode.BadRequest, (await factory.ClientFor(host).GetAsync(link)).StatusCode);
        // An email-verification code is not an activation code.
        Assert.Equal(HttpStatusCode.BadRequest, (await factory.ClientFor(host).GetAsync("/activate?code=" + CodeOf(link))).StatusCode);
    }

    [Fact]
    public async Task An_activation_code_of_tenant_A_does_nothing_on_tenant_B_and_still_works_on_A()
    {
        var a = await factory.TenantWithSignupAsync();
        var b = await factory.TenantWithSignupAsync();
        var email = NewEmail();
        await SubmitAsync(factory.ClientFor(LanyardFactory.TenantHost(a.Name)), "/signup", TenantForm(email));
        var link = CapturingEmailSender.Link(await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation), $"https://{LanyardFactory.TenantHost(a.Name)}/activate?code=");

        var onB = await factory.ClientFor(LanyardFactory.TenantHost(b.Name)).GetAsync("/activate?code=" + CodeOf(link));
        Assert.Equal(HttpStatusCode.BadRequest, onB.StatusCode);
        Assert.Equal(UserStatus.PendingSignupActivation, (await factory.UserAsync(a.Id, email)).Status);

        Assert.Equal(HttpStatusCode.Redirect, (await factory.ClientFor(LanyardFactory.TenantHost(a.Name)).GetAsync(link)).StatusCode);
        Assert.Equal(UserStatus.Active, (await factory.UserAsync(a.Id, email)).Status);
    }

    [Fact]
    public async Task A_forged_forwarded_host_does_not_change_the_emailed_link()
    {
        await factory.SetApplicationSignupAsync(true);
        var name = NewTenantName();
        var email = NewEmail();

        await SubmitAsync(AppBrowser(), "/signup", AppForm(name, email), request => request.Headers.Add("X-Forwarded-Host", "evil.example"));

        var mail = await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation);
        Assert.DoesNotContain("evil.example", mail.TextBody, StringComparison.Ordinal);
        Assert.StartsWith($"https://{name.ToLowerInvariant()}-auth.localhost/", Link(mail, name), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expired_link_page_resends_for_a_pending_address_and_answers_the_same_for_an_unknown_one()
    {
        var tenant = await factory.TenantWithSignupAsync();
        var host = LanyardFactory.TenantHost(tenant.Name);
        var email = NewEmail();
        await SubmitAsync(factory.ClientFor(host), "/signup", TenantForm(email));
        await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation);
        var unknown = NewEmail();

        var known = await SubmitAsync(factory.ClientFor(host), "/activate?code=expired", new() { ["Email"] = email });
        var stranger = await SubmitAsync(factory.ClientFor(host), "/activate?code=expired", new() { ["Email"] = unknown });

        Assert.Equal(known.StatusCode, stranger.StatusCode);
        var knownHtml = await known.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"resent\"", knownHtml, StringComparison.Ordinal);
        Assert.Equal(knownHtml, await stranger.Content.ReadAsStringAsync());
        await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation, count: 2);
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(unknown, TimeSpan.FromMilliseconds(300)));
    }
}

public sealed class SignupPageTestsOnSqlite(SqliteLanyard factory) : SignupPageTests(factory), IClassFixture<SqliteLanyard>;

public sealed class SignupPageTestsOnPostgres(PostgresLanyard factory) : SignupPageTests(factory), IClassFixture<PostgresLanyard>;

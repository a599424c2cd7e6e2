using System.Net;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Invitations;

/// <summary>New-user invitations, the accepting side: the hosted page and the accept API, expiry, and the code's bindings to tenant and purpose.</summary>
public abstract class NewUserInvitationAcceptanceTests(LanyardFactory factory)
{
    private readonly InvitationKit _kit = new(factory);
    private readonly OAuthFlow _flow = new(factory);

    [Fact]
    public async Task Invite_accept_on_the_hosted_page_activates_assigns_roles_verifies_email_and_signs_in()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var appRole = await _kit.CreateRoleAsync();
        var tenantRole = await _kit.CreateRoleAsync(tenant);
        var email = InvitationKit.NewEmail();

        var (invitationId, link) = await _kit.InviteNewAsync(tenant, email, [appRole, tenantRole]);

        var pending = await _kit.UserAsync(tenant, email);
        Assert.Equal(UserStatus.PendingInviteActivation, pending.Status);
        Assert.False(pending.HasPassword);
        Assert.False(pending.EmailVerified);

        var browser = _kit.Browser(tenant);
        using var page = await browser.GetAsync(link);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains($"value=\"{email}\" readonly", html, StringComparison.Ordinal);

        using var accepted = await InvitationKit.SubmitAsync(browser, link, InvitationKit.PasswordForm());
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        var handoff = accepted.Headers.Location!;
        Assert.StartsWith($"https://{LanyardFactory.TenantHost(tenant.Name)}/api/v1/new-user-invitation/create-auth-session?auth_session_code=", handoff.AbsoluteUri, StringComparison.Ordinal);

        var user = await _kit.UserAsync(tenant, email);
        Assert.Equal(UserStatus.Active, user.Status);
        Assert.True(user.EmailVerified);
        Assert.True(user.HasPassword);
        Assert.NotNull(user.ActivatedAt);
        Assert.Equal(new[] { appRole, tenantRole }.Order(), (await _kit.RoleIdsAsync(tenant, user.Id)).Order());
        var invitation = await _kit.InvitationAsync(tenant, invitationId);
        Assert.Equal(InvitationStatus.Completed, invitation.Status);

        using var session = await browser.GetAsync(handoff);
        Assert.Equal(HttpStatusCode.Redirect, session.StatusCode);
        Assert.StartsWith(InvitationKit.AppLoginUrl, session.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        Assert.Contains(session.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal));

        // The application starts the code flow: the session from the invitation answers it without a password prompt.
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var callback = await _flow.AuthorizeAsync(browser, OAuthFlow.AuthorizeParameters(client, challenge));
        Assert.StartsWith("https://app.example/cb", callback.AbsoluteUri, StringComparison.Ordinal);
        var tokens = await OAuthFlow.ReadTokensAsync(await _flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], verifier));
        Assert.NotEmpty(tokens.AccessToken);

        // The link is spent.
        using var again = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal(Pages.AcceptInvite.IndexModel.InvalidMessage, await InvitationKit.ErrorTextAsync(again));
    }

    [Fact]
    public async Task The_accept_api_introspects_accepts_once_and_hands_off_to_a_session()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        var role = await _kit.CreateRoleAsync();
        var (_, link) = await _kit.InviteNewAsync(tenant, email, [role]);
        var code = InvitationKit.CodeOf(link);

        var introspect = await InvitationKit.BodyAsync(await _kit.PostAsync("/api/v1/new-user-invitation/introspect-email-auth-code", new { emailAuthCode = code }));
        Assert.True(introspect.GetProperty("valid").GetBoolean());
        Assert.Equal(email, introspect.GetProperty("email").GetString());
        Assert.Equal(tenant.Id, introspect.GetProperty("tenantId").GetString());
        Assert.Contains("password", introspect.GetProperty("requiredFields").EnumerateArray().Select(f => f.GetString()));

        using var accepted = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password, username = "ann" + Guid.NewGuid().ToString("N")[..6] });
        var body = await InvitationKit.BodyAsync(accepted);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var user = await _kit.UserAsync(tenant, email);
        Assert.Equal(user.Id, body.GetProperty("userId").GetString());
        Assert.Equal(tenant.Id, body.GetProperty("tenantId").GetString());
        Assert.Equal(UserStatus.Active, user.Status);
        Assert.NotNull(user.Username);
        Assert.Equal([role], await _kit.RoleIdsAsync(tenant, user.Id));
        var redirectUrl = body.GetProperty("redirectUrl").GetString()!;
        Assert.EndsWith("auth_session_code=" + body.GetProperty("authSessionCode").GetString(), redirectUrl, StringComparison.Ordinal);

        using var session = await _kit.Browser(tenant).GetAsync(redirectUrl);
        Assert.Equal(HttpStatusCode.Redirect, session.StatusCode);
        Assert.StartsWith(InvitationKit.AppLoginUrl, session.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);

        using var twice = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password });
        Assert.Contains("invalid_email_auth_code", await InvitationKit.ViolationsAsync(twice, "emailAuthCode"));
        var after = await InvitationKit.BodyAsync(await _kit.PostAsync("/api/v1/new-user-invitation/introspect-email-auth-code", new { emailAuthCode = code }));
        Assert.False(after.GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task An_expired_invitation_fails_everywhere_but_is_listed_as_it_is()
    {
        var admin = await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        var (id, link) = await _kit.InviteNewAsync(tenant, email);

        factory.Time.Advance(TimeSpan.FromDays(8));
        admin = await _kit.FreshAdminAsync(); // the earlier token expired with the clock
        {
            using var page = await _kit.Browser(tenant).GetAsync(link);
            Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
            Assert.Equal(Pages.AcceptInvite.IndexModel.InvalidMessage, await InvitationKit.ErrorTextAsync(page));
            using var api = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = InvitationKit.CodeOf(link), password = InvitationKit.Password });
            Assert.Contains("invalid_email_auth_code", await InvitationKit.ViolationsAsync(api, "emailAuthCode"));

            var list = await InvitationKit.BodyAsync(await admin.GetAsync($"/api/v1/tenants/{tenant.Id}/new-user-invitation-requests"));
            var item = Assert.Single(list.GetProperty("items").EnumerateArray());
            Assert.Equal(id, item.GetProperty("id").GetString());
            Assert.Equal("PENDING_INVITE_ACCEPTANCE", item.GetProperty("status").GetString());
            Assert.True(item.GetProperty("expirationTime").GetDateTimeOffset() < factory.Time.GetUtcNow());
            Assert.Equal(UserStatus.PendingInviteActivation, (await _kit.UserAsync(tenant, email)).Status);
        }
    }

    [Fact]
    public async Task A_code_of_tenant_A_does_nothing_on_tenant_Bs_page()
    {
        await _kit.AdminAsync();
        var tenantA = await factory.CreateTenantAsync();
        var tenantB = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        var (_, link) = await _kit.InviteNewAsync(tenantA, email);
        var foreignLink = link.Replace(LanyardFactory.TenantHost(tenantA.Name), LanyardFactory.TenantHost(tenantB.Name), StringComparison.Ordinal);
        var browserB = _kit.Browser(tenantB);

        using var page = await browserB.GetAsync(foreignLink);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);

        // Posting the form of a real B page with A's code does not accept either.
        var (_, linkB) = await _kit.InviteNewAsync(tenantB, InvitationKit.NewEmail());
        using var formB = await browserB.GetAsync(linkB);
        var html = await formB.Content.ReadAsStringAsync();
        var token = System.Text.RegularExpressions.Regex.Match(html, "name=\"__lanyard_af\"[^>]*value=\"([^\"]*)\"").Groups[1].Value;
        using var post = await browserB.PostAsync(foreignLink, new FormUrlEncodedContent(new Dictionary<string, string>(InvitationKit.PasswordForm()) { ["__lanyard_af"] = token }));
        Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        Assert.Equal(UserStatus.PendingInviteActivation, (await _kit.UserAsync(tenantA, email)).Status);

        // The code is intact for its own tenant.
        using var accepted = await InvitationKit.SubmitAsync(_kit.Browser(tenantA), link, InvitationKit.PasswordForm());
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
    }

    [Fact]
    public async Task Codes_of_other_purposes_do_not_cross_over()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var email = InvitationKit.NewEmail();
        var (invitationId, link) = await _kit.InviteNewAsync(tenant, email);
        var user = await _kit.UserAsync(tenant, email);
        var browser = _kit.Browser(tenant);

        // A password-reset code of the same user, carrying the invitation's id, is not an invitation code.
        string resetCode;
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            var codes = scope.ServiceProvider.GetRequiredService<WorkflowCodes>();
            resetCode = await codes.IssueAsync(tenant.Id, user.Id, WorkflowPurpose.PasswordReset, TimeSpan.FromHours(1), new WorkflowContext(InvitationId: invitationId), CancellationToken.None);
            await LanyardFactory.Db(scope).SaveChangesAsync();
        }

        using var resetAsInvite = await browser.GetAsync($"/accept-invite?code={resetCode}");
        Assert.Equal(HttpStatusCode.BadRequest, resetAsInvite.StatusCode);

        // The invitation code is neither an existing-user invitation code nor an auth-session code.
        var code = InvitationKit.CodeOf(link);
        using var asExisting = await browser.GetAsync($"/accept-existing-invite?code={code}");
        Assert.Equal(HttpStatusCode.BadRequest, asExisting.StatusCode);
        using var asExistingApi = await _kit.PostAsync("/api/v1/existing-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password });
        Assert.Contains("invalid_email_auth_code", await InvitationKit.ViolationsAsync(asExistingApi, "emailAuthCode"));
        using var asSession = await browser.GetAsync($"/api/v1/new-user-invitation/create-auth-session?auth_session_code={code}");
        Assert.Equal(HttpStatusCode.BadRequest, asSession.StatusCode);
        Assert.DoesNotContain(asSession.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [], c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal));

        // None of that used the invitation up.
        using var accepted = await InvitationKit.SubmitAsync(browser, link, InvitationKit.PasswordForm());
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
    }

    [Fact]
    public async Task The_page_asks_for_the_fields_the_user_schema_requires()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        await factory.SetPolicyAsync(PolicyKind.UserSchema, "{\"givenNameRequired\":true,\"phoneNumberRequired\":true}", tenant);
        var email = InvitationKit.NewEmail();
        var (_, link) = await _kit.InviteNewAsync(tenant, email);
        var browser = _kit.Browser(tenant);

        using var page = await browser.GetAsync(link);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("name=\"Input.GivenName\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"Input.PhoneNumber\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"Input.Birthdate\"", html, StringComparison.Ordinal);

        using var missing = await InvitationKit.SubmitAsync(browser, link, new Dictionary<string, string>(InvitationKit.PasswordForm()) { ["Input.PhoneNumber"] = "555-1234" });
        Assert.Equal(HttpStatusCode.OK, missing.StatusCode);
        var errors = await missing.Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"error-givenName\"", errors, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"error-phoneNumber\"", errors, StringComparison.Ordinal);
        Assert.Equal(UserStatus.PendingInviteActivation, (await _kit.UserAsync(tenant, email)).Status);

        using var api = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = InvitationKit.CodeOf(link), password = InvitationKit.Password, birthdate = "2999-01-01" });
        Assert.Contains("required", await InvitationKit.ViolationsAsync(api, "givenName"));
        Assert.Contains("invalid_value", await InvitationKit.ViolationsAsync(api, "birthdate"));

        using var mismatch = await InvitationKit.SubmitAsync(browser, link, new Dictionary<string, string>
        {
            ["Input.GivenName"] = "Ann", ["Input.PhoneNumber"] = "+15551234567", ["Input.Password"] = InvitationKit.Password, ["Input.PasswordConfirmation"] = "something else",
        });
        Assert.Contains("data-testid=\"error-passwordConfirmation\"", await mismatch.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var accepted = await InvitationKit.SubmitAsync(browser, link, new Dictionary<string, string>(InvitationKit.PasswordForm())
        {
            ["Input.GivenName"] = "Ann", ["Input.PhoneNumber"] = "+15551234567",
        });
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        var user = await _kit.UserAsync(tenant, email);
        Assert.Equal("Ann", user.GivenName);
        Assert.Equal("+15551234567", user.PhoneNumber);
    }

    [Fact]
    public async Task The_password_must_satisfy_the_password_policy()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        await factory.SetPolicyAsync(PolicyKind.Password, "{\"minimumLength\":16,\"digitRequired\":true}", tenant);
        var email = InvitationKit.NewEmail();
        var (_, link) = await _kit.InviteNewAsync(tenant, email);
        var code = InvitationKit.CodeOf(link);

        using var weak = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code, password = "short" });
        var broken = await InvitationKit.ViolationsAsync(weak, "password");
        Assert.Contains("too_short", broken);
        Assert.Contains("digit_required", broken);
        using var none = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code });
        Assert.Contains("required", await InvitationKit.ViolationsAsync(none, "password"));

        using var page = await InvitationKit.SubmitAsync(_kit.Browser(tenant), link, InvitationKit.PasswordForm("no digits but long enough"));
        Assert.Contains("data-testid=\"error-password\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(UserStatus.PendingInviteActivation, (await _kit.UserAsync(tenant, email)).Status);

        using var strong = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code, password = "sixteen chars 1234" });
        Assert.Equal(HttpStatusCode.OK, strong.StatusCode);
    }
}

public sealed class NewUserInvitationAcceptanceOnSqlite(SqliteLanyard factory) : NewUserInvitationAcceptanceTests(factory), IClassFixture<SqliteLanyard>;

public sealed class NewUserInvitationAcceptanceOnPostgres(PostgresLanyard factory) : NewUserInvitationAcceptanceTests(factory), IClassFixture<PostgresLanyard>;

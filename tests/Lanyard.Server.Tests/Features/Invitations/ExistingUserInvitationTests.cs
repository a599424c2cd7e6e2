using System.Net;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Invitations;

/// <summary>Existing-user invitations: PROVISIONED and INACTIVE users activate their accounts through the emailed link.</summary>
public abstract class ExistingUserInvitationTests(LanyardFactory factory)
{
    private readonly InvitationKit _kit = new(factory);

    [Fact]
    public async Task A_provisioned_user_without_a_password_chooses_one_and_is_signed_in()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.CreateUserAsync(tenant, InvitationKit.NewEmail(), null, UserStatus.Provisioned);

        using var response = await _kit.PostAsync("/api/v1/existing-user-invitation/invite-user", new { userId = user.Id });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var invitation = (await InvitationKit.BodyAsync(response)).GetProperty("existingUserInvitationRequest");
        Assert.Equal(user.Id, invitation.GetProperty("userId").GetString());
        Assert.Equal(tenant.Id, invitation.GetProperty("tenantId").GetString());
        Assert.Equal(user.Email, invitation.GetProperty("email").GetString());
        Assert.Equal("PENDING_INVITE_ACCEPTANCE", invitation.GetProperty("status").GetString());
        Assert.True(invitation.GetProperty("expirationTime").GetDateTimeOffset() > factory.Time.GetUtcNow().AddDays(6));

        var link = await _kit.LinkAsync(tenant, user.Email, Lanyard.Server.Features.Email.EmailTypes.ExistingUserInvitation);
        var browser = _kit.Browser(tenant);
        using var page = await browser.GetAsync(link);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains($"value=\"{user.Email}\" readonly", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"password\"", html, StringComparison.Ordinal);

        using var missing = await InvitationKit.SubmitAsync(browser, link, []);
        Assert.Contains("data-testid=\"error-password\"", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var accepted = await InvitationKit.SubmitAsync(browser, link, InvitationKit.PasswordForm());
        Assert.True(accepted.StatusCode == HttpStatusCode.SeeOther, await accepted.Content.ReadAsStringAsync());
        Assert.Contains("/api/v1/existing-user-invitation/create-auth-session?auth_session_code=", accepted.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);
        var active = await _kit.UserAsync(tenant, user.Email);
        Assert.Equal(UserStatus.Active, active.Status);
        Assert.True(active.EmailVerified);
        Assert.True(active.HasPassword);
        Assert.Equal(InvitationStatus.Completed, (await _kit.InvitationAsync(tenant, invitation.GetProperty("id").GetString()!)).Status);

        using var session = await browser.GetAsync(accepted.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, session.StatusCode);
        Assert.StartsWith(InvitationKit.AppLoginUrl, session.Headers.Location!.AbsoluteUri, StringComparison.Ordinal);

        // The user can now sign in with the new password.
        var flow = new OAuthFlow(factory);
        var client = await flow.CreateClientAsync(Lanyard.Server.Features.Clients.OAuthClientType.BackendServer, "https://app.example/cb");
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var callback = await flow.AuthorizeAsync(
            factory.ClientFor(LanyardFactory.TenantHost(tenant.Name)), OAuthFlow.AuthorizeParameters(client, challenge), user.Email, InvitationKit.Password);
        var tokens = await OAuthFlow.ReadTokensAsync(await flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], verifier));
        Assert.NotEmpty(tokens.AccessToken);

        using var again = await browser.GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
    }

    [Fact]
    public async Task An_inactive_user_with_a_password_is_not_asked_for_one_and_keeps_it()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.CreateUserAsync(tenant, InvitationKit.NewEmail(), OAuthFlow.TestPassword, UserStatus.Inactive);
        var (id, link) = await _kit.InviteExistingAsync(tenant, user);
        var browser = _kit.Browser(tenant);

        using var page = await browser.GetAsync(link);
        Assert.DoesNotContain("data-testid=\"password\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var accepted = await InvitationKit.SubmitAsync(browser, link, InvitationKit.PasswordForm("an attempt to overwrite"));
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        var active = await _kit.UserAsync(tenant, user.Email);
        Assert.Equal(UserStatus.Active, active.Status);
        Assert.Equal(user.PasswordHash, active.PasswordHash);
        Assert.Equal(InvitationStatus.Completed, (await _kit.InvitationAsync(tenant, id)).Status);
    }

    [Fact]
    public async Task Active_and_unknown_users_are_refused()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var active = await factory.CreateUserAsync(tenant, InvitationKit.NewEmail());

        using var refused = await _kit.PostAsync("/api/v1/existing-user-invitation/invite-user", new { userId = active.Id });
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("invalid_user_status", await InvitationKit.ErrorCodeAsync(refused));
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(active.Email, TimeSpan.FromMilliseconds(200)));

        using var unknown = await _kit.PostAsync("/api/v1/existing-user-invitation/invite-user", new { userId = "a" + active.Id[1..] });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("user_not_found", await InvitationKit.ErrorCodeAsync(unknown));

        // A pending new-user invitee is not an existing user either.
        var email = InvitationKit.NewEmail();
        await _kit.InviteNewAsync(tenant, email);
        var pending = await _kit.UserAsync(tenant, email);
        using var pendingRefused = await _kit.PostAsync("/api/v1/existing-user-invitation/invite-user", new { userId = pending.Id });
        Assert.Equal("invalid_user_status", await InvitationKit.ErrorCodeAsync(pendingRefused));
    }

    [Fact]
    public async Task A_second_invitation_supersedes_the_first()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.CreateUserAsync(tenant, InvitationKit.NewEmail(), null, UserStatus.Provisioned);
        var (firstId, firstLink) = await _kit.InviteExistingAsync(tenant, user);
        var (secondId, secondLink) = await _kit.InviteExistingAsync(tenant, user, count: 2);

        Assert.Equal(InvitationStatus.Canceled, (await _kit.InvitationAsync(tenant, firstId)).Status);
        var browser = _kit.Browser(tenant);
        using var old = await browser.GetAsync(firstLink);
        Assert.Equal(HttpStatusCode.BadRequest, old.StatusCode);
        using var accepted = await InvitationKit.SubmitAsync(browser, secondLink, InvitationKit.PasswordForm());
        Assert.Equal(HttpStatusCode.SeeOther, accepted.StatusCode);
        Assert.Equal(InvitationStatus.Completed, (await _kit.InvitationAsync(tenant, secondId)).Status);
    }

    [Fact]
    public async Task The_accept_api_activates_once_and_checks_the_password_policy()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.CreateUserAsync(tenant, InvitationKit.NewEmail(), null, UserStatus.Provisioned);
        var (_, link) = await _kit.InviteExistingAsync(tenant, user);
        var code = InvitationKit.CodeOf(link);

        var introspect = await InvitationKit.BodyAsync(await _kit.PostAsync("/api/v1/existing-user-invitation/introspect-email-auth-code", new { emailAuthCode = code }));
        Assert.True(introspect.GetProperty("valid").GetBoolean());
        Assert.Equal(["password"], introspect.GetProperty("requiredFields").EnumerateArray().Select(f => f.GetString()));

        using var weak = await _kit.PostAsync("/api/v1/existing-user-invitation/accept-invite", new { emailAuthCode = code, password = "short" });
        Assert.Contains("too_short", await InvitationKit.ViolationsAsync(weak, "password"));

        // A new-user invitation code API does not take an existing-user code.
        using var wrongApi = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password });
        Assert.Contains("invalid_email_auth_code", await InvitationKit.ViolationsAsync(wrongApi, "emailAuthCode"));

        using var accepted = await _kit.PostAsync("/api/v1/existing-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password });
        var body = await InvitationKit.BodyAsync(accepted);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(user.Id, body.GetProperty("userId").GetString());
        Assert.Equal(tenant.Id, body.GetProperty("tenantId").GetString());
        Assert.Contains("/api/v1/existing-user-invitation/create-auth-session", body.GetProperty("redirectUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(UserStatus.Active, (await _kit.UserAsync(tenant, user.Email)).Status);

        using var twice = await _kit.PostAsync("/api/v1/existing-user-invitation/accept-invite", new { emailAuthCode = code, password = InvitationKit.Password });
        Assert.Contains("invalid_email_auth_code", await InvitationKit.ViolationsAsync(twice, "emailAuthCode"));
    }

    [Fact]
    public async Task An_expired_existing_user_invitation_fails()
    {
        await _kit.AdminAsync();
        var tenant = await factory.CreateTenantAsync();
        var user = await _kit.CreateUserAsync(tenant, InvitationKit.NewEmail(), null, UserStatus.Inactive);
        var (_, link) = await _kit.InviteExistingAsync(tenant, user);

        factory.Time.Advance(TimeSpan.FromDays(8));
        await _kit.FreshAdminAsync();

        using var page = await _kit.Browser(tenant).GetAsync(link);
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        using var api = await _kit.PostAsync("/api/v1/existing-user-invitation/accept-invite", new { emailAuthCode = InvitationKit.CodeOf(link), password = InvitationKit.Password });
        Assert.Contains("invalid_email_auth_code", await InvitationKit.ViolationsAsync(api, "emailAuthCode"));
        Assert.Equal(UserStatus.Inactive, (await _kit.UserAsync(tenant, user.Email)).Status);
    }
}

public sealed class ExistingUserInvitationOnSqlite(SqliteLanyard factory) : ExistingUserInvitationTests(factory), IClassFixture<SqliteLanyard>;

public sealed class ExistingUserInvitationOnPostgres(PostgresLanyard factory) : ExistingUserInvitationTests(factory), IClassFixture<PostgresLanyard>;

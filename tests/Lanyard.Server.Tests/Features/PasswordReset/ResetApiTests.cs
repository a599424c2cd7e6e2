using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.PasswordReset;

/// <summary>The password-reset and change-password workflow APIs on the application host.</summary>
public abstract class ResetApiTests(LanyardFactory factory)
{
    private readonly ResetKit _kit = new(factory);

    private OAuthFlow Flow => _kit.Flow;

    private async Task<string> RequestCodeAsync(HttpClient api, Tenant tenant, string email, int count = 1)
    {
        var response = await api.PostAsJsonAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id, loginIdentifier = email });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        return ResetKit.Code(await _kit.ResetLinkAsync(email, tenant.Name, count));
    }

    [Fact]
    public async Task Request_answers_204_for_known_and_unknown_accounts_and_mails_only_the_known()
    {
        using var api = await factory.AdminApiAsync();
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var unknown = $"nobody{Guid.NewGuid():N}@example.com";

        var known = await api.PostAsJsonAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id, loginIdentifier = email.ToUpperInvariant() });
        var missing = await api.PostAsJsonAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id, loginIdentifier = unknown });
        var noTenant = await api.PostAsJsonAsync("/api/v1/password-reset/request-password-reset", new { tenantId = LanyardId.New(factory.Time), loginIdentifier = email });

        Assert.Equal(HttpStatusCode.NoContent, known.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, missing.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, noTenant.StatusCode);
        Assert.StartsWith($"https://{LanyardFactory.TenantHost(tenant.Name)}/reset-password?code=", await _kit.ResetLinkAsync(email, tenant.Name), StringComparison.Ordinal);
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(unknown));
        Assert.Equal(1, await _kit.ResetEmailCountAsync(email));

        var invalid = await api.PostAsJsonAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id });
        Assert.Contains(ViolationCodes.Required, await ResetKit.ViolationsAsync(invalid, "loginIdentifier"));
        _ = user;
    }

    [Fact]
    public async Task The_apis_require_a_bearer_token()
    {
        await factory.StartAsync();
        using var anonymous = factory.ClientFor(LanyardFactory.ApplicationHost);

        foreach (var path in new[] { "password-reset/request-password-reset", "password-reset/reset-password", "password-reset/introspect-email-auth-code", "change-password" })
        {
            var response = await anonymous.PostAsJsonAsync("/api/v1/" + path, new { });
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }

    [Fact]
    public async Task Reset_sets_the_password_returns_a_working_handoff_and_the_code_is_spent()
    {
        using var api = await factory.AdminApiAsync();
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var code = await RequestCodeAsync(api, tenant, email);

        var introspected = await ResetKit.JsonAsync(await api.PostAsJsonAsync("/api/v1/password-reset/introspect-email-auth-code", new { emailAuthCode = code }));
        Assert.True(introspected.GetProperty("valid").GetBoolean());
        Assert.Equal(user.Id, introspected.GetProperty("userId").GetString());
        Assert.Equal(tenant.Id, introspected.GetProperty("tenantId").GetString());
        Assert.True(introspected.TryGetProperty("expiresAt", out _));

        var reset = await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var body = await ResetKit.JsonAsync(reset);
        Assert.Equal(user.Id, body.GetProperty("userId").GetString());
        Assert.Equal(tenant.Id, body.GetProperty("tenantId").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("authSessionCode").GetString()));
        var redirect = body.GetProperty("redirectUrl").GetString()!;
        Assert.StartsWith($"https://{LanyardFactory.TenantHost(tenant.Name)}/api/v1/password-reset/create-auth-session?auth_session_code=", redirect, StringComparison.Ordinal);

        var landed = await _kit.Browser(tenant.Name).GetAsync(redirect);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.Contains(landed.Headers.GetValues("Set-Cookie"), c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal));
        await factory.Emails.WaitForAsync(email, EmailTypes.PasswordChanged);

        var again = await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = "another good password" });
        Assert.Equal([PasswordResetCodes.Invalid], await ResetKit.ViolationsAsync(again, "emailAuthCode"));
        var after = await ResetKit.JsonAsync(await api.PostAsJsonAsync("/api/v1/password-reset/introspect-email-auth-code", new { emailAuthCode = code }));
        Assert.False(after.GetProperty("valid").GetBoolean());
        Assert.False(after.TryGetProperty("userId", out _));

        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var login = _kit.Browser(tenant.Name);
        var loginUrl = (await login.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)))).Headers.Location!.OriginalString;
        Assert.Equal(HttpStatusCode.SeeOther, (await Flow.SubmitLoginAsync(login, loginUrl, email, ResetKit.NewPassword)).StatusCode);
    }

    [Fact]
    public async Task Reset_refuses_bad_codes_and_reports_every_broken_password_rule_without_spending_the_code()
    {
        using var api = await factory.AdminApiAsync();
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Password, "{\"minimumLength\":12,\"digitRequired\":true}", tenant);
        var code = await RequestCodeAsync(api, tenant, email);

        var garbage = await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = "not-a-code", newPassword = ResetKit.NewPassword });
        Assert.Equal([PasswordResetCodes.Invalid], await ResetKit.ViolationsAsync(garbage, "emailAuthCode"));

        var empty = await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code });
        Assert.Equal([ViolationCodes.Required], await ResetKit.ViolationsAsync(empty, "newPassword"));

        var weak = await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Equal(["too_short", "digit_required"], await ResetKit.ViolationsAsync(weak, "newPassword"));

        string activation;
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            activation = await scope.ServiceProvider.GetRequiredService<WorkflowCodes>()
                .IssueAsync(tenant.Id, user.Id, WorkflowPurpose.EmailVerification, TimeSpan.FromHours(1), null, CancellationToken.None);
            await LanyardFactory.Db(scope).SaveChangesAsync();
        }

        var wrongPurpose = await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = activation, newPassword = "a long password 12345" });
        Assert.Equal([PasswordResetCodes.Invalid], await ResetKit.ViolationsAsync(wrongPurpose, "emailAuthCode"));

        var good = await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = "a long password 12345" });
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
    }

    [Fact]
    public async Task Without_immediate_login_the_reset_answer_has_no_handoff()
    {
        using var api = await factory.AdminApiAsync();
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.PasswordResetWorkflow, "{\"immediateLogin\":false}", tenant);
        var code = await RequestCodeAsync(api, tenant, email);

        var body = await ResetKit.JsonAsync(await api.PostAsJsonAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = ResetKit.NewPassword }));

        Assert.Equal(tenant.Id, body.GetProperty("tenantId").GetString());
        Assert.False(body.TryGetProperty("redirectUrl", out _));
        Assert.False(body.TryGetProperty("authSessionCode", out _));
    }

    [Fact]
    public async Task Change_password_checks_the_current_password_and_revokes_sessions_and_grants()
    {
        using var api = await factory.AdminApiAsync();
        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (tokens, _) = await Flow.LoginAsync(client, tenant.Name, email);

        var wrong = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = "not it", newPassword = "x" });
        Assert.Equal([PasswordResetCodes.InvalidPassword], await ResetKit.ViolationsAsync(wrong, "currentPassword"));
        Assert.Equal(["too_short"], await ResetKit.ViolationsAsync(wrong, "newPassword"));
        Assert.Equal(HttpStatusCode.OK, (await Flow.RefreshAsync(client, tokens.RefreshToken!)).StatusCode);

        var changed = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);

        await factory.Emails.WaitForAsync(email, EmailTypes.PasswordChanged);
        var refreshed = await Flow.RefreshAsync(client, tokens.RefreshToken!);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(refreshed));
        var again = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword, newPassword = "third password here" });
        Assert.Equal([PasswordResetCodes.InvalidPassword], await ResetKit.ViolationsAsync(again, "currentPassword"));
    }

    [Fact]
    public async Task Change_password_answers_unknown_and_inactive_users()
    {
        using var api = await factory.AdminApiAsync();
        var (tenant, _, user) = await _kit.TenantWithUserAsync();

        var unknown = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = LanyardId.New(factory.Time), currentPassword = "a", newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("user_not_found", (await ResetKit.JsonAsync(unknown)).GetProperty("code").GetString());

        await _kit.SetUserStatusAsync(tenant, user.Id, UserStatus.Inactive);
        var inactive = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.BadRequest, inactive.StatusCode);
        Assert.Equal("user_not_active", (await ResetKit.JsonAsync(inactive)).GetProperty("code").GetString());

        var missing = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id });
        Assert.Equal([ViolationCodes.Required], await ResetKit.ViolationsAsync(missing, "currentPassword"));
        Assert.Equal([ViolationCodes.Required], await ResetKit.ViolationsAsync(missing, "newPassword"));
    }

    [Fact]
    public async Task Wrong_current_passwords_count_against_the_login_throttle()
    {
        using var api = await factory.AdminApiAsync();
        var (tenant, email, user) = await _kit.TenantWithUserAsync();

        for (var i = 0; i < 10; i++)
        {
            var wrong = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = "guess " + i, newPassword = ResetKit.NewPassword });
            Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        }

        // The account is locked for this window: even the right password is refused, here and on the login page.
        var right = await api.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword, newPassword = ResetKit.NewPassword });
        Assert.Equal([PasswordResetCodes.InvalidPassword], await ResetKit.ViolationsAsync(right, "currentPassword"));
        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var browser = _kit.Browser(tenant.Name);
        var loginUrl = (await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)))).Headers.Location!.OriginalString;
        Assert.Equal(HttpStatusCode.OK, (await Flow.SubmitLoginAsync(browser, loginUrl, email, OAuthFlow.TestPassword)).StatusCode);
    }

    [Fact]
    public async Task A_user_token_needs_the_permission_and_may_change_only_its_own_password()
    {
        await factory.StartAsync();
        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var other = await factory.CreateUserAsync(tenant, $"o{Guid.NewGuid():N}@example.com");
        var (tokens, _) = await Flow.LoginAsync(client, tenant.Name, email);
        using var asUser = factory.ClientFor(LanyardFactory.ApplicationHost);
        asUser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);

        var lacking = await asUser.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.Forbidden, lacking.StatusCode);

        await GrantPermissionAsync(tenant, user.Id, "change-password-workflow:execute");

        var someoneElse = await asUser.PostAsJsonAsync("/api/v1/change-password", new { userId = other.Id, currentPassword = OAuthFlow.TestPassword, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.Forbidden, someoneElse.StatusCode);
        Assert.Equal("forbidden", (await ResetKit.JsonAsync(someoneElse)).GetProperty("code").GetString());

        var own = await asUser.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword, newPassword = ResetKit.NewPassword });
        Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);

        // The token belonged to a grant the change revoked.
        var afterwards = await asUser.PostAsJsonAsync("/api/v1/change-password", new { userId = user.Id, currentPassword = ResetKit.NewPassword, newPassword = "fourth password here" });
        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.StatusCode);
    }

    [Fact]
    public async Task A_user_token_cannot_request_a_reset_in_another_tenant()
    {
        await factory.StartAsync();
        var client = await Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (otherTenant, otherEmail, _) = await _kit.TenantWithUserAsync();
        await GrantPermissionAsync(tenant, user.Id, "password-reset-workflow:execute");
        var (tokens, _) = await Flow.LoginAsync(client, tenant.Name, email);
        using var asUser = factory.ClientFor(LanyardFactory.ApplicationHost);
        asUser.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.AccessToken);

        var elsewhere = await asUser.PostAsJsonAsync("/api/v1/password-reset/request-password-reset", new { tenantId = otherTenant.Id, loginIdentifier = otherEmail });
        var own = await asUser.PostAsJsonAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id, loginIdentifier = email });

        Assert.Equal(HttpStatusCode.Forbidden, elsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        Assert.Equal(0, await _kit.ResetEmailCountAsync(otherEmail));
        await _kit.ResetLinkAsync(email, tenant.Name);
    }

    /// <summary>An application role holding <paramref name="permission"/>, given to the user.</summary>
    private async Task GrantPermissionAsync(Tenant tenant, string userId, string permission)
    {
        var roleId = LanyardId.New(factory.Time);
        await using (var scope = factory.ScopeFor(tenant.ApplicationId))
        {
            var db = LanyardFactory.Db(scope);
            var permissionId = db.Permissions.Single(p => p.Value == permission).Id;
            db.Roles.Add(new Role { Id = roleId, Name = $"app:test:r{roleId[^8..].ToLowerInvariant()}", DisplayName = "Password tester" });
            db.RolePermissions.Add(new RolePermission { RoleId = roleId, PermissionId = permissionId });
            await db.SaveChangesAsync();
        }

        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            var db = LanyardFactory.Db(scope);
            db.UserRoles.Add(new UserRole { UserId = userId, RoleId = roleId });
            await db.SaveChangesAsync();
        }
    }
}

/// <summary>The error codes the tests expect, spelled once.</summary>
internal static class PasswordResetCodes
{
    public const string Invalid = "invalid_email_auth_code";
    public const string InvalidPassword = "invalid_password";
}

public sealed class ResetApiOnSqlite(ResetSqliteLanyard factory) : ResetApiTests(factory), IClassFixture<ResetSqliteLanyard>;

public sealed class ResetApiOnPostgres(ResetPostgresLanyard factory) : ResetApiTests(factory), IClassFixture<ResetPostgresLanyard>;

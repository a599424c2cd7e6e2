using System.Net;
using System.Net.Http.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Policies;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Mfa;

/// <summary>The MFA workflow APIs: enrollment, recovery code, challenge, factor removal, and their refusals.</summary>
public abstract class MfaApiTests(LanyardFactory factory)
{
    private readonly MfaKit _kit = new(factory);

    [Fact]
    public async Task Enrollment_verification_recovery_code_and_challenge_through_the_api()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, "{\"totpSettings\":{\"issuer\":\"Acme & Co\"}}", tenant);
        var admin = await factory.AdminApiAsync();

        var started = await MfaKit.JsonAsync(await admin.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId = user.Id }), HttpStatusCode.OK);
        var secret = started.GetProperty("secret").GetString()!;
        var factorId = started.GetProperty("factorId").GetString()!;
        Assert.Equal(
            $"otpauth://totp/Acme%20%26%20Co:{Uri.EscapeDataString(email)}?secret={secret}&issuer=Acme%20%26%20Co&algorithm=SHA1&digits=6&period=30",
            started.GetProperty("otpauthUri").GetString());
        Assert.StartsWith("data:image/png;base64,iVBOR", started.GetProperty("qrCode").GetString(), StringComparison.Ordinal);

        var wrong = await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment", new { userId = user.Id, factorId, code = MfaLoginTests.WrongCode(_kit.Code(secret)) });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(wrong, "code"));
        var twoStepsAhead = await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment", new { userId = user.Id, factorId, code = _kit.Code(secret, 2) });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(twoStepsAhead, "code"));
        var verified = await MfaKit.JsonAsync(
            await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment", new { userId = user.Id, factorId, code = _kit.Code(secret) }), HttpStatusCode.OK);
        var firstRecovery = verified.GetProperty("recoveryCode").GetString()!;

        // The enrollment code's step is spent.
        var sameStep = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = _kit.Code(secret) });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(sameStep, "code"));
        _kit.NextStep();
        var challenge = await MfaKit.JsonAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = _kit.Code(secret) }), HttpStatusCode.OK);
        Assert.Equal("VERIFIED", challenge.GetProperty("result").GetString());
        Assert.Equal("TOTP", challenge.GetProperty("factorType").GetString());

        var regenerated = await MfaKit.JsonAsync(await admin.PostAsJsonAsync("/api/v1/mfa/enroll-recovery-code", new { userId = user.Id }), HttpStatusCode.OK);
        var secondRecovery = regenerated.GetProperty("recoveryCode").GetString()!;
        var old = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, recoveryCode = firstRecovery });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(old, "recoveryCode"));
        var used = await MfaKit.JsonAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, recoveryCode = secondRecovery }), HttpStatusCode.OK);
        Assert.Equal("RECOVERY_CODE", used.GetProperty("factorType").GetString());
        var reused = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, recoveryCode = secondRecovery });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(reused, "recoveryCode"));
        await factory.Emails.WaitForAsync(email, Lanyard.Server.Features.Email.EmailTypes.RecoveryCodeUsed);
    }

    [Fact]
    public async Task Without_recovery_codes_in_the_policy_enrollment_returns_none_and_regeneration_is_refused()
    {
        var (tenant, _, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, "{\"allowedAuthFactors\":[\"TOTP\"]}", tenant);
        var admin = await factory.AdminApiAsync();

        var (_, recovery) = await _kit.EnrollThroughApiAsync(admin, user.Id);
        var regenerate = await admin.PostAsJsonAsync("/api/v1/mfa/enroll-recovery-code", new { userId = user.Id });

        Assert.Null(recovery);
        Assert.Equal(HttpStatusCode.BadRequest, regenerate.StatusCode);
        Assert.Equal("mfa_not_available", await MfaKit.ErrorCodeAsync(regenerate));
    }

    [Fact]
    public async Task The_apis_refuse_bad_callers_unknown_users_and_missing_enrollment()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (_, _, other) = await _kit.TenantWithUserAsync();
        var admin = await factory.AdminApiAsync();
        var anonymous = factory.ClientFor(LanyardFactory.ApplicationHost);
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (asUser, _) = await _kit.UserApiAsync(client, tenant, email, user.Id, MfaEndpoints.Permission);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId = user.Id })).StatusCode);
        var forbidden = await asUser.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId = other.Id });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("forbidden", await MfaKit.ErrorCodeAsync(forbidden));
        Assert.Equal(HttpStatusCode.Forbidden, (await asUser.DeleteAsync($"/api/v1/users/{user.Id}/mfa-factors")).StatusCode);
        var unknown = await admin.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId = "01HZZZZZZZZZZZZZZZZZZZZZZZ" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("user_not_found", await MfaKit.ErrorCodeAsync(unknown));
        Assert.Equal("required", await MfaKit.ViolationAsync(await admin.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { }), "userId"));
        var notEnrolled = await admin.PostAsJsonAsync("/api/v1/mfa/enroll-recovery-code", new { userId = user.Id });
        Assert.Equal(HttpStatusCode.BadRequest, notEnrolled.StatusCode);
        var noFactor = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = "123456" });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(noFactor, "code"));
        var both = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = "123456", recoveryCode = "ABCD" });
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
        var badFactor = await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment", new { userId = user.Id, factorId = "nope", code = "123456" });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(badFactor, "code"));

        // A user token may enroll itself (its own factors only).
        Assert.Equal(HttpStatusCode.OK, (await asUser.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId = user.Id })).StatusCode);
    }

    [Fact]
    public async Task Another_tenants_pending_factor_cannot_be_verified_for_this_user()
    {
        var (_, _, user) = await _kit.TenantWithUserAsync();
        var (_, _, other) = await _kit.TenantWithUserAsync();
        var admin = await factory.AdminApiAsync();
        var started = await MfaKit.JsonAsync(await admin.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId = other.Id }), HttpStatusCode.OK);

        var response = await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment", new
        {
            userId = user.Id,
            factorId = started.GetProperty("factorId").GetString(),
            code = _kit.Code(started.GetProperty("secret").GetString()!),
        });

        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(response, "code"));
    }

    [Fact]
    public async Task An_administrator_removing_the_factors_revokes_refresh_tokens_and_sessions()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var admin = await factory.AdminApiAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(admin, user.Id);
        _kit.NextStep();
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var tokens = await _kit.LoginWithMfaAsync(client, tenant, email, secret);

        var removed = await admin.DeleteAsync($"/api/v1/users/{user.Id}/mfa-factors");

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Empty(await _kit.FactorsAsync(tenant, user.Id));
        var refresh = await _kit.Flow.RefreshAsync(client, tokens.RefreshToken!);
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(refresh));

        // Without factors (optional policy) the next login needs only the password.
        var (after, _) = await _kit.Flow.LoginAsync(client, tenant.Name, email);
        Assert.Equal(["pwd"], MfaKit.Amr(after.IdToken!));
    }

    [Fact]
    public async Task A_user_removes_its_own_factors_only_with_its_current_password()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var (asUser, tokens) = await _kit.UserApiAsync(client, tenant, email, user.Id, MfaEndpoints.Permission, secret);

        var wrong = await asUser.PostAsJsonAsync("/api/v1/mfa/remove-factors", new { userId = user.Id, currentPassword = "not my password" });
        Assert.Equal(MfaEndpoints.InvalidPassword, await MfaKit.ViolationAsync(wrong, "currentPassword"));
        Assert.Equal(2, (await _kit.FactorsAsync(tenant, user.Id)).Count);

        var removed = await asUser.PostAsJsonAsync("/api/v1/mfa/remove-factors", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword });

        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        Assert.Empty(await _kit.FactorsAsync(tenant, user.Id));
        Assert.Equal("invalid_grant", await OAuthFlow.ReadErrorAsync(await _kit.Flow.RefreshAsync(client, tokens.RefreshToken!)));
        var afterwards = await asUser.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId = user.Id });
        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.StatusCode);
    }

    [Fact]
    public async Task Wrong_passwords_for_removal_count_against_the_login_limit()
    {
        var (_, _, user) = await _kit.TenantWithUserAsync();
        var admin = await factory.AdminApiAsync();
        await _kit.EnrollThroughApiAsync(admin, user.Id);

        for (var i = 0; i < 12; i++)
        {
            await admin.PostAsJsonAsync("/api/v1/mfa/remove-factors", new { userId = user.Id, currentPassword = "guess " + i });
        }

        var locked = await admin.PostAsJsonAsync("/api/v1/mfa/remove-factors", new { userId = user.Id, currentPassword = OAuthFlow.TestPassword });
        Assert.Equal(MfaEndpoints.InvalidPassword, await MfaKit.ViolationAsync(locked, "currentPassword"));
    }
}

public sealed class MfaApiOnSqlite(SqliteLanyard factory) : MfaApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class MfaApiOnPostgres(PostgresLanyard factory) : MfaApiTests(factory), IClassFixture<PostgresLanyard>;

using System.Net;
using System.Net.Http.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Workflows;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Mfa;

/// <summary>The hosted enroll and challenge pages in the login flow, and that nothing skips them (checklist item 65).</summary>
public abstract class MfaLoginTests(LanyardFactory factory)
{
    private readonly MfaKit _kit = new(factory);

    private Task<TestClient> ClientAsync() => _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");

    [Fact]
    public async Task A_required_policy_makes_an_existing_user_enroll_at_login_and_the_tokens_carry_pwd_otp_mfa()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, MfaKit.Required, tenant);
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);

        var step = await _kit.PasswordStepAsync(browser, client, email);
        Assert.StartsWith("/mfa/enroll?return_url=", step.Location.OriginalString, StringComparison.Ordinal);

        var (html, secret) = await MfaKit.EnrollPageAsync(browser, step.Location.OriginalString);
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        Assert.Contains("src=\"data:image/png;base64,", html, StringComparison.Ordinal);
        Assert.True(MfaKit.Has(html, "totp-qr"));
        var wrong = await MfaKit.PostFormAsync(browser, html, "/mfa/enroll", new() { ["Input.Code"] = WrongCode(_kit.Code(secret)) });
        var wrongHtml = await wrong.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
        Assert.True(MfaKit.Has(wrongHtml, "error"));
        Assert.Equal(secret, MfaKit.TestId(wrongHtml, "totp-secret"));

        var done = await MfaKit.PostFormAsync(browser, wrongHtml, "/mfa/enroll", new() { ["Input.Code"] = _kit.Code(secret) });
        var doneHtml = await done.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Matches("^([A-Z2-7]{4}-){7}[A-Z2-7]{4}$", MfaKit.TestId(doneHtml, "recovery-code")!);
        var callback = await MfaKit.FollowAsync(browser, MfaKit.Href(doneHtml, "continue")!);
        Assert.True(MfaKit.IsCallback(callback));

        var tokens = await OAuthFlow.ReadTokensAsync(await _kit.Flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], step.Verifier));
        Assert.Equal(["mfa", "otp", "pwd"], MfaKit.Amr(tokens.IdToken!).Order(StringComparer.Ordinal));
        Assert.Equal(["mfa", "otp", "pwd"], MfaKit.Amr(tokens.AccessToken).Order(StringComparer.Ordinal));
        Assert.Single(await _kit.FactorsAsync(tenant, user.Id), f => f.Type == MfaFactorType.Totp && f.Status == MfaFactorStatus.Active);
    }

    [Fact]
    public async Task The_tenant_override_requires_mfa_in_one_tenant_while_another_stays_optional()
    {
        var (strict, strictEmail, _) = await _kit.TenantWithUserAsync();
        var (relaxed, relaxedEmail, _) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, MfaKit.Required, strict);
        var client = await ClientAsync();

        var strictStep = await _kit.PasswordStepAsync(_kit.Flow.Browser(strict.Name), client, strictEmail);
        var relaxedStep = await _kit.PasswordStepAsync(_kit.Flow.Browser(relaxed.Name), client, relaxedEmail);

        Assert.StartsWith("/mfa/enroll", strictStep.Location.OriginalString, StringComparison.Ordinal);
        Assert.True(MfaKit.IsCallback(relaxedStep.Location));
    }

    [Fact]
    public async Task After_the_password_step_no_route_issues_a_code_until_the_challenge_is_passed()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);

        var step = await _kit.PasswordStepAsync(browser, client, email);
        Assert.StartsWith("/mfa/challenge?return_url=", step.Location.OriginalString, StringComparison.Ordinal);

        // The same authorize request again, and a fresh one.
        var again = await MfaKit.FollowAsync(browser, OAuthFlow.AuthorizeUrl(step.Parameters));
        Assert.StartsWith("/mfa/challenge", again.OriginalString, StringComparison.Ordinal);

        // Silent authentication must not succeed either.
        var silent = new Dictionary<string, string?>(step.Parameters) { ["prompt"] = "none" };
        var none = await MfaKit.FollowAsync(browser, OAuthFlow.AuthorizeUrl(silent));
        Assert.Equal("interaction_required", OAuthFlow.Query(none)["error"]);
        Assert.False(OAuthFlow.Query(none).ContainsKey("code"));

        // Posting the login form again only starts over at the challenge.
        var loginAgain = await _kit.Flow.SubmitLoginAsync(
            browser, "/login?return_url=" + Uri.EscapeDataString(OAuthFlow.AuthorizeUrl(step.Parameters)), email, OAuthFlow.TestPassword);
        Assert.Equal(HttpStatusCode.SeeOther, loginAgain.StatusCode);
        var relogin = step with { Location = await MfaKit.FollowAsync(browser, loginAgain.Headers.Location!.OriginalString) };
        Assert.StartsWith("/mfa/challenge", relogin.Location.OriginalString, StringComparison.Ordinal);

        // A finished workflow's auth-session handoff (password reset, invitation) sets a session, not a code.
        var other = _kit.Flow.Browser(tenant.Name);
        var handoff = await other.GetAsync(await _kit.HandoffUrlAsync(tenant, user.Id, Workflow.PasswordReset, client.Id));
        Assert.Equal(HttpStatusCode.Redirect, handoff.StatusCode);
        var afterHandoff = await MfaKit.FollowAsync(other, OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        Assert.StartsWith("/mfa/challenge", afterHandoff.OriginalString, StringComparison.Ordinal);

        // A password-only session may not replace the authenticator.
        var enroll = await browser.GetAsync("/mfa/enroll");
        Assert.Equal(HttpStatusCode.Redirect, enroll.StatusCode);
        Assert.StartsWith("/mfa/challenge", enroll.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var passed = await MfaKit.ChallengeAsync(browser, relogin.Location.OriginalString, _kit.Code(secret));
        Assert.Equal(HttpStatusCode.SeeOther, passed.StatusCode);
        var callback = await MfaKit.FollowAsync(browser, passed.Headers.Location!.OriginalString);
        var tokens = await OAuthFlow.ReadTokensAsync(await _kit.Flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], relogin.Verifier));
        Assert.Equal(["mfa", "otp", "pwd"], MfaKit.Amr(tokens.IdToken!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_required_policy_makes_a_user_arriving_from_a_workflow_handoff_enroll()
    {
        var (tenant, _, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, MfaKit.Required, tenant);
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);

        await browser.GetAsync(await _kit.HandoffUrlAsync(tenant, user.Id, Workflow.ExistingUserInvitation, client.Id));
        var (verifier, challenge) = OAuthFlow.NewPkce();
        var location = await MfaKit.FollowAsync(browser, OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, challenge)));
        Assert.StartsWith("/mfa/enroll", location.OriginalString, StringComparison.Ordinal);

        var (_, enrolled) = await _kit.EnrollThroughPageAsync(browser, location.OriginalString);
        var callback = await MfaKit.FollowAsync(browser, MfaKit.Href(await enrolled.Content.ReadAsStringAsync(), "continue")!);
        var tokens = await OAuthFlow.ReadTokensAsync(await _kit.Flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], verifier));
        Assert.Contains("mfa", MfaKit.Amr(tokens.IdToken!));
    }

    [Fact]
    public async Task Completing_mfa_rotates_the_session_cookie_and_the_pre_mfa_cookie_stops_working()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);
        var parameters = OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge);
        var start = await browser.GetAsync(OAuthFlow.AuthorizeUrl(parameters));
        var login = await _kit.Flow.SubmitLoginAsync(browser, start.Headers.Location!.OriginalString, email, OAuthFlow.TestPassword);
        var preMfaCookie = SessionCookieOf(login);
        var challengeUrl = await MfaKit.FollowAsync(browser, login.Headers.Location!.OriginalString);

        var passed = await MfaKit.ChallengeAsync(browser, challengeUrl.OriginalString, _kit.Code(secret));
        Assert.Equal(HttpStatusCode.SeeOther, passed.StatusCode);
        Assert.NotEqual(preMfaCookie, SessionCookieOf(passed));
        Assert.True(MfaKit.IsCallback(await MfaKit.FollowAsync(browser, passed.Headers.Location!.OriginalString)));

        // Someone who copied the cookie before the challenge does not hold the stronger session.
        using var copy = factory.CreateDefaultClient(new Uri($"https://{LanyardFactory.TenantHost(tenant.Name)}/"));
        using var request = new HttpRequestMessage(HttpMethod.Get, OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(client, OAuthFlow.NewPkce().Challenge)));
        request.Headers.Add("Cookie", preMfaCookie);
        var replayed = await copy.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, replayed.StatusCode);
        Assert.StartsWith("/login", replayed.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }

    private static string SessionCookieOf(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("__Host-lanyard_session=", StringComparison.Ordinal)).Split(';')[0];

    [Fact]
    public async Task The_recovery_code_signs_in_once_notifies_the_user_and_offers_enrolling_again()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (_, recoveryCode) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);
        var step = await _kit.PasswordStepAsync(browser, client, email);

        var used = await MfaKit.ChallengeAsync(browser, step.Location.OriginalString, recoveryCode: recoveryCode!.ToLowerInvariant());
        var html = await used.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        Assert.True(MfaKit.Has(html, "recovery-code-used"));
        Assert.StartsWith("/mfa/enroll", MfaKit.Href(html, "enroll-again"), StringComparison.Ordinal);
        var callback = await MfaKit.FollowAsync(browser, MfaKit.Href(html, "continue")!);
        var tokens = await OAuthFlow.ReadTokensAsync(await _kit.Flow.RedeemAsync(client, OAuthFlow.Query(callback)["code"], step.Verifier));
        Assert.Equal(["mfa", "pwd"], MfaKit.Amr(tokens.IdToken!).Order(StringComparer.Ordinal));
        var notice = await factory.Emails.WaitForAsync(email, EmailTypes.RecoveryCodeUsed);
        Assert.Contains("recovery code was used", notice.Subject, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(recoveryCode, notice.TextBody, StringComparison.Ordinal);

        var second = _kit.Flow.Browser(tenant.Name);
        var secondStep = await _kit.PasswordStepAsync(second, client, email);
        var again = await MfaKit.ChallengeAsync(second, secondStep.Location.OriginalString, recoveryCode: recoveryCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.True(MfaKit.Has(await again.Content.ReadAsStringAsync(), "error"));
        Assert.StartsWith("/mfa/challenge", (await MfaKit.FollowAsync(second, OAuthFlow.AuthorizeUrl(secondStep.Parameters))).OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Re_enrollment_needs_a_passed_challenge_and_invalidates_the_old_authenticator_and_recovery_code()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var admin = await factory.AdminApiAsync();
        var (oldSecret, oldRecovery) = await _kit.EnrollThroughApiAsync(admin, user.Id);
        _kit.NextStep();
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);
        var step = await _kit.PasswordStepAsync(browser, client, email);
        var passed = await MfaKit.ChallengeAsync(browser, step.Location.OriginalString, _kit.Code(oldSecret));
        Assert.Equal(HttpStatusCode.SeeOther, passed.StatusCode);

        var (newSecret, enrolled) = await _kit.EnrollThroughPageAsync(browser, "/mfa/enroll");
        var html = await enrolled.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, enrolled.StatusCode);
        var newRecovery = MfaKit.TestId(html, "recovery-code");
        Assert.NotNull(newRecovery);
        Assert.NotEqual(oldRecovery, newRecovery);
        Assert.False(MfaKit.Has(html, "continue"));

        _kit.NextStep();
        var oldCode = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = _kit.Code(oldSecret) });
        var oldRecoveryCode = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, recoveryCode = oldRecovery });
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(oldCode, "code"));
        Assert.Equal(MfaEndpoints.InvalidCode, await MfaKit.ViolationAsync(oldRecoveryCode, "recoveryCode"));
        var newCode = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, code = _kit.Code(newSecret) });
        var newRecoveryCode = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, recoveryCode = newRecovery });
        Assert.Equal("TOTP", (await MfaKit.JsonAsync(newCode, HttpStatusCode.OK)).GetProperty("factorType").GetString());
        Assert.Equal("RECOVERY_CODE", (await MfaKit.JsonAsync(newRecoveryCode, HttpStatusCode.OK)).GetProperty("factorType").GetString());
        Assert.Single(await _kit.FactorsAsync(tenant, user.Id), f => f.Type == MfaFactorType.Totp);
    }

    [Fact]
    public async Task The_database_holds_neither_the_seed_nor_the_recovery_code_in_plain_text()
    {
        var (tenant, _, user) = await _kit.TenantWithUserAsync();
        var (secret, recoveryCode) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);

        var factors = await _kit.FactorsAsync(tenant, user.Id);
        var seed = OtpNet.Base32Encoding.ToBytes(secret);
        var totp = Assert.Single(factors, f => f.Type == MfaFactorType.Totp);
        Assert.False(totp.EncryptedSecret!.AsSpan().IndexOf(seed) >= 0);
        Assert.DoesNotContain(secret, System.Text.Encoding.ASCII.GetString(totp.EncryptedSecret!), StringComparison.Ordinal);
        var recovery = Assert.Single(factors, f => f.Type == MfaFactorType.RecoveryCode);
        Assert.Null(recovery.EncryptedSecret);
        Assert.Equal(64, recovery.CodeHash!.Length);
        Assert.DoesNotContain(recoveryCode!.Replace("-", "", StringComparison.Ordinal), recovery.CodeHash, StringComparison.OrdinalIgnoreCase);
        if (factory.Database == Database.Sqlite)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var file = await File.ReadAllBytesAsync(Path.Combine(factory.DataDirectory, "lanyard.db"));
            Assert.True(file.AsSpan().IndexOf(seed) < 0);
            Assert.True(file.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(secret)) < 0);
            Assert.True(file.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(recoveryCode)) < 0);
        }
    }

    [Fact]
    public async Task The_enroll_page_is_not_available_when_the_policy_disallows_totp_and_pages_need_a_session()
    {
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, "{\"allowedAuthFactors\":[]}", tenant);
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);
        var step = await _kit.PasswordStepAsync(browser, client, email);
        Assert.True(MfaKit.IsCallback(step.Location));

        var page = await browser.GetAsync("/mfa/enroll");
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.True(MfaKit.Has(await page.Content.ReadAsStringAsync(), "not-available"));

        var anonymous = _kit.Flow.Browser(tenant.Name);
        var returnUrl = Uri.EscapeDataString(OAuthFlow.AuthorizeUrl(step.Parameters));
        foreach (var path in new[] { "/mfa/enroll", "/mfa/challenge" })
        {
            var response = await anonymous.GetAsync($"{path}?return_url={returnUrl}");
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/login?return_url=" + returnUrl, response.Headers.Location!.OriginalString);
        }
    }

    [Fact]
    public async Task The_return_url_never_leaves_this_hosts_authorize_endpoint()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var client = await ClientAsync();
        var browser = _kit.Flow.Browser(tenant.Name);
        await _kit.PasswordStepAsync(browser, client, email);

        var response = await MfaKit.ChallengeAsync(browser, "/mfa/challenge?return_url=" + Uri.EscapeDataString("https://evil.example/api/v1/oauth2/authorize?x=1"), _kit.Code(secret));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.Contains("You are signed in", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_challenge_post_without_the_antiforgery_token_is_refused()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var browser = _kit.Flow.Browser(tenant.Name);
        var step = await _kit.PasswordStepAsync(browser, await ClientAsync(), email);
        await browser.GetAsync(step.Location);

        var response = await browser.PostAsync("/mfa/challenge", new FormUrlEncodedContent(new Dictionary<string, string> { ["Input.Code"] = _kit.Code(secret) }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    internal static string WrongCode(string code) => ((int.Parse(code, System.Globalization.CultureInfo.InvariantCulture) + 1) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
}

public sealed class MfaLoginOnSqlite(SqliteLanyard factory) : MfaLoginTests(factory), IClassFixture<SqliteLanyard>;

public sealed class MfaLoginOnPostgres(PostgresLanyard factory) : MfaLoginTests(factory), IClassFixture<PostgresLanyard>;

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Mfa;

/// <summary>
/// A self-hosted MFA page finishes a login: authorize hands it an MFA token bound to the pending session, the
/// verify APIs spend it and answer with the create-auth-session link, and only the browser holding that session
/// gets it upgraded and continues to authorize. Every misuse of token and link is refused.
/// </summary>
public abstract class MfaSelfHostedTests(LanyardFactory factory)
{
    private const string PageUrl = "https://app.example/self-hosted/mfa";
    private readonly MfaKit _kit = new(factory);

    private sealed record Pending(Tenant Tenant, TestClient Client, string UserId, HttpClient Browser, PasswordStep Step, string Token, string Secret);

    /// <summary>An enrolled user whose tenant self-hosts MFA, signed in with the password and sent to the self-hosted page.</summary>
    private async Task<Pending> AtSelfHostedChallengeAsync()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, $"{{\"selfHostedPageUrl\":\"{PageUrl}\"}}", tenant);
        var (secret, _) = await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        _kit.NextStep();
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var browser = _kit.Flow.Browser(tenant.Name);
        var step = await _kit.PasswordStepAsync(browser, client, email);
        Assert.Equal(PageUrl, step.Location.GetLeftPart(UriPartial.Path));
        var query = OAuthFlow.Query(step.Location);
        Assert.Equal("CHALLENGE", query["step"]);
        Assert.Equal(tenant.Name, query["tenant_name"]);
        return new Pending(tenant, client, user.Id, browser, step, query[MfaHandoff.TokenParameter], secret);
    }

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response) => await MfaKit.JsonAsync(response, HttpStatusCode.OK);

    /// <summary>Follows the create-auth-session link and the authorize request it leads back to; returns the tokens.</summary>
    private async Task<TokenResponse> FinishAsync(Pending pending, string redirectUrl)
    {
        var landed = await pending.Browser.GetAsync(redirectUrl);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.StartsWith("/api/v1/oauth2/authorize?", landed.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var callback = await MfaKit.FollowAsync(pending.Browser, landed.Headers.Location.OriginalString);
        Assert.True(MfaKit.IsCallback(callback), callback.OriginalString);
        Assert.Equal(pending.Step.Parameters["state"], OAuthFlow.Query(callback)["state"]);
        return await OAuthFlow.ReadTokensAsync(await _kit.Flow.RedeemAsync(pending.Client, OAuthFlow.Query(callback)["code"], pending.Step.Verifier));
    }

    [Fact]
    public async Task A_self_hosted_challenge_finishes_the_login_through_the_api_and_create_auth_session()
    {
        var pending = await AtSelfHostedChallengeAsync();
        var admin = await factory.AdminApiAsync();

        var introspected = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/introspect-mfa-token", new { mfaToken = pending.Token }));
        Assert.True(introspected.GetProperty("valid").GetBoolean());
        Assert.Equal(pending.UserId, introspected.GetProperty("userId").GetString());
        Assert.Equal(pending.Tenant.Id, introspected.GetProperty("tenantId").GetString());
        Assert.Equal("CHALLENGE", introspected.GetProperty("step").GetString());

        var verified = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = pending.Token, code = _kit.Code(pending.Secret) }));
        Assert.Equal("VERIFIED", verified.GetProperty("result").GetString());
        var redirectUrl = verified.GetProperty("redirectUrl").GetString()!;
        Assert.StartsWith($"https://{LanyardFactory.TenantHost(pending.Tenant.Name)}/api/v1/mfa/create-auth-session?auth_session_code=", redirectUrl, StringComparison.Ordinal);

        var tokens = await FinishAsync(pending, redirectUrl);
        Assert.Equal(["mfa", "otp", "pwd"], MfaKit.Amr(tokens.IdToken!).Order(StringComparer.Ordinal));
        Assert.Equal(["mfa", "otp", "pwd"], MfaKit.Amr(tokens.AccessToken).Order(StringComparer.Ordinal));

        // The token and the link were single use.
        _kit.NextStep();
        var again = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = pending.Token, code = _kit.Code(pending.Secret) });
        Assert.Equal(MfaEndpoints.InvalidMfaToken, await MfaKit.ViolationAsync(again, "mfaToken"));
        Assert.Equal(HttpStatusCode.BadRequest, (await pending.Browser.GetAsync(redirectUrl)).StatusCode);
        Assert.False((await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/introspect-mfa-token", new { mfaToken = pending.Token }))).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task The_recovery_code_finishes_a_self_hosted_challenge_with_amr_mfa()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, $"{{\"selfHostedPageUrl\":\"{PageUrl}\"}}", tenant);
        var admin = await factory.AdminApiAsync();
        var (_, recovery) = await _kit.EnrollThroughApiAsync(admin, user.Id);
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var browser = _kit.Flow.Browser(tenant.Name);
        var step = await _kit.PasswordStepAsync(browser, client, email);
        var token = OAuthFlow.Query(step.Location)[MfaHandoff.TokenParameter];

        var verified = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = user.Id, mfaToken = token, recoveryCode = recovery }));

        Assert.Equal("RECOVERY_CODE", verified.GetProperty("factorType").GetString());
        var tokens = await FinishAsync(new Pending(tenant, client, user.Id, browser, step, token, ""), verified.GetProperty("redirectUrl").GetString()!);
        Assert.Equal(["mfa", "pwd"], MfaKit.Amr(tokens.IdToken!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Required_enrollment_on_a_self_hosted_page_finishes_the_login()
    {
        var (tenant, email, _) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, $"{{\"enrollmentStrategy\":\"REQUIRED\",\"selfHostedPageUrl\":\"https://app.example/{{tenant_name}}/mfa\"}}", tenant);
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");
        var browser = _kit.Flow.Browser(tenant.Name);
        var step = await _kit.PasswordStepAsync(browser, client, email);
        Assert.Equal($"https://app.example/{tenant.Name}/mfa", step.Location.GetLeftPart(UriPartial.Path));
        var query = OAuthFlow.Query(step.Location);
        Assert.Equal("ENROLLMENT", query["step"]);
        Assert.False(query.ContainsKey("tenant_name")); // a templated page URL names the tenant itself
        var token = query[MfaHandoff.TokenParameter];
        var admin = await factory.AdminApiAsync();
        var userId = (await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/introspect-mfa-token", new { mfaToken = token }))).GetProperty("userId").GetString();

        var started = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/enroll-totp", new { userId }));
        var secret = started.GetProperty("secret").GetString()!;
        var asChallenge = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = token, code = _kit.Code(secret) });
        Assert.Equal(MfaEndpoints.InvalidMfaToken, await MfaKit.ViolationAsync(asChallenge, "mfaToken"));
        var verified = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment",
            new { mfaToken = token, factorId = started.GetProperty("factorId").GetString(), code = _kit.Code(secret) }));

        Assert.False(string.IsNullOrEmpty(verified.GetProperty("recoveryCode").GetString()));
        var tokens = await FinishAsync(new Pending(tenant, client, userId!, browser, step, token, secret), verified.GetProperty("redirectUrl").GetString()!);
        Assert.Equal(["mfa", "otp", "pwd"], MfaKit.Amr(tokens.IdToken!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_create_auth_session_link_upgrades_only_the_browser_that_holds_the_pending_session()
    {
        var pending = await AtSelfHostedChallengeAsync();
        var admin = await factory.AdminApiAsync();
        var verified = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = pending.Token, code = _kit.Code(pending.Secret) }));
        var redirectUrl = verified.GetProperty("redirectUrl").GetString()!;

        // Another browser (say, the attacker the link was forwarded to) gets an error page and no session.
        var stranger = _kit.Flow.Browser(pending.Tenant.Name);
        var refused = await stranger.GetAsync(redirectUrl);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.False(refused.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("__Host-lanyard_session", StringComparison.Ordinal)));

        // The spent link is gone for the owner too, whose session still owes MFA: authorize sends it back to the page.
        Assert.Equal(HttpStatusCode.BadRequest, (await pending.Browser.GetAsync(redirectUrl)).StatusCode);
        var back = await MfaKit.FollowAsync(pending.Browser, OAuthFlow.AuthorizeUrl(pending.Step.Parameters));
        Assert.Equal(PageUrl, back.GetLeftPart(UriPartial.Path));
    }

    [Fact]
    public async Task A_link_of_one_tenant_is_refused_on_another_tenants_host()
    {
        var pending = await AtSelfHostedChallengeAsync();
        var admin = await factory.AdminApiAsync();
        var verified = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = pending.Token, code = _kit.Code(pending.Secret) }));
        var other = await factory.CreateTenantAsync();

        var response = await _kit.Flow.Browser(other.Name).GetAsync(new Uri(verified.GetProperty("redirectUrl").GetString()!).PathAndQuery);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Expired_forged_or_foreign_tokens_are_refused_before_any_code_is_checked()
    {
        var pending = await AtSelfHostedChallengeAsync();
        var other = await AtSelfHostedChallengeAsync();
        var admin = await factory.AdminApiAsync();
        var code = _kit.Code(pending.Secret);

        var forged = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = pending.Token + "x", code });
        Assert.Equal(MfaEndpoints.InvalidMfaToken, await MfaKit.ViolationAsync(forged, "mfaToken"));
        var foreign = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { userId = pending.UserId, mfaToken = other.Token, code });
        Assert.Equal(MfaEndpoints.InvalidMfaToken, await MfaKit.ViolationAsync(foreign, "mfaToken"));
        var asEnrollment = await admin.PostAsJsonAsync("/api/v1/mfa/verify-totp-enrollment", new { mfaToken = pending.Token, factorId = "01NOSUCHFACTOR000000000000", code });
        Assert.Equal(MfaEndpoints.InvalidMfaToken, await MfaKit.ViolationAsync(asEnrollment, "mfaToken"));

        // None of that spent the code: it still works with the right token while the token lives…
        var verified = await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = pending.Token, code }));
        Assert.True(verified.TryGetProperty("redirectUrl", out _));

        // …and a token past its ten minutes is dead.
        factory.Time.Advance(MfaHandoff.TokenLifetime + TimeSpan.FromSeconds(1));
        _kit.NextStep();
        Assert.False((await OkAsync(await admin.PostAsJsonAsync("/api/v1/mfa/introspect-mfa-token", new { mfaToken = other.Token }))).GetProperty("valid").GetBoolean());
        var expired = await admin.PostAsJsonAsync("/api/v1/mfa/verify-challenge", new { mfaToken = other.Token, code = _kit.Code(other.Secret) });
        Assert.Equal(MfaEndpoints.InvalidMfaToken, await MfaKit.ViolationAsync(expired, "mfaToken"));
    }

    [Fact]
    public async Task Without_a_self_hosted_page_authorize_keeps_the_hosted_challenge_and_issues_no_token()
    {
        var (tenant, email, user) = await _kit.TenantWithUserAsync();
        await factory.SetPolicyAsync(PolicyKind.Mfa, "{\"selfHostedPageUrl\":\"http://insecure.example/mfa\"}", tenant);
        await _kit.EnrollThroughApiAsync(await factory.AdminApiAsync(), user.Id);
        var client = await _kit.Flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");

        var step = await _kit.PasswordStepAsync(_kit.Flow.Browser(tenant.Name), client, email);

        Assert.StartsWith("/mfa/challenge?", step.Location.OriginalString, StringComparison.Ordinal);
        Assert.DoesNotContain(MfaHandoff.TokenParameter, step.Location.OriginalString, StringComparison.Ordinal);
    }
}

public sealed class MfaSelfHostedOnSqlite(SqliteLanyard factory) : MfaSelfHostedTests(factory), IClassFixture<SqliteLanyard>;

public sealed class MfaSelfHostedOnPostgres(PostgresLanyard factory) : MfaSelfHostedTests(factory), IClassFixture<PostgresLanyard>;

using System.Net;
using System.Net.Http.Json;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Users;
using Lanyard.Testing;
using static Lanyard.Server.Tests.Features.Signup.SignupKit;

namespace Lanyard.Server.Tests.Features.Signup;

/// <summary>The signup provisioning, user-activation and email-verification APIs on the application host.</summary>
public abstract class SignupApiTests
{
    private readonly LanyardFactory factory;

    protected SignupApiTests(LanyardFactory factory)
    {
        this.factory = factory;
        factory.With("Lanyard:Throttling:SignupsPerAddress", "100000");
    }

    private async Task<HttpResponseMessage> PostAsync(string path, object body)
    {
        using var api = await factory.AdminApiAsync();
        return await api.PostAsJsonAsync(path, body);
    }

    private static string ActivationLink(EmailMessage mail, string tenantName) =>
        CapturingEmailSender.Link(mail, $"https://{LanyardFactory.TenantHost(tenantName.ToLowerInvariant())}/activate?code=");

    [Fact]
    public async Task Provision_activate_and_hand_off_end_to_end()
    {
        await factory.SetApplicationSignupAsync(true);
        var name = NewTenantName();
        var email = NewEmail();

        var provisioned = await PostAsync("/api/v1/signup/provision-user", new
        {
            tenantName = name, tenantDisplayName = "Acme Inc", email, password = Password, clientId = factory.Bootstrap.DemoClientId, state = "api-state",
        });
        Assert.Equal(HttpStatusCode.Created, provisioned.StatusCode);
        var body = await JsonAsync(provisioned);
        Assert.Equal("USER_ACTIVATION_REQUIRED", body.GetProperty("result").GetString());
        Assert.Equal(name, body.GetProperty("tenantName").GetString());
        var tenant = (await factory.FindTenantAsync(name))!;
        Assert.Equal("Acme Inc", tenant.DisplayName);
        Assert.Equal(tenant.Id, body.GetProperty("tenantId").GetString());

        var code = CodeOf(ActivationLink(await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation), name));
        var introspected = await JsonAsync(await PostAsync("/api/v1/user-activation/introspect-email-auth-code", new { emailAuthCode = code }));
        Assert.True(introspected.GetProperty("valid").GetBoolean());
        Assert.Equal(email, introspected.GetProperty("email").GetString());
        Assert.Equal(body.GetProperty("userId").GetString(), introspected.GetProperty("userId").GetString());

        var activated = await PostAsync("/api/v1/user-activation/activate-user", new { emailAuthCode = code });
        Assert.Equal(HttpStatusCode.OK, activated.StatusCode);
        var result = await JsonAsync(activated);
        Assert.Equal("USER_ACTIVATION_COMPLETE", result.GetProperty("result").GetString());
        Assert.False(string.IsNullOrEmpty(result.GetProperty("authSessionCode").GetString()));
        var redirectUrl = new Uri(result.GetProperty("redirectUrl").GetString()!);
        Assert.Equal(LanyardFactory.TenantHost(name.ToLowerInvariant()), redirectUrl.Host);

        var browser = factory.ClientFor(redirectUrl.Host);
        var landed = await browser.GetAsync(redirectUrl.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        Assert.Contains(landed.Headers.GetValues("Set-Cookie"), c => c.Contains("httponly", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("api-state", OAuthFlow.Query(landed.Headers.Location!)["state"]);
        Assert.Equal(UserStatus.Active, (await factory.UserAsync(tenant.Id, email)).Status);

        var again = await PostAsync("/api/v1/user-activation/activate-user", new { emailAuthCode = code });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("invalid_email_auth_code", ViolationCode(await JsonAsync(again), "emailAuthCode"));
        Assert.False((await JsonAsync(await PostAsync("/api/v1/user-activation/introspect-email-auth-code", new { emailAuthCode = code }))).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Provisioning_again_for_a_pending_user_answers_200_and_creates_nothing()
    {
        await factory.SetApplicationSignupAsync(true);
        var name = NewTenantName();
        var email = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await PostAsync("/api/v1/signup/provision-user", new { tenantName = name, email, password = Password })).StatusCode);
        var tenants = await factory.CountTenantsAsync();

        var again = await PostAsync("/api/v1/signup/provision-user", new { tenantName = name, email, password = Password });

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("USER_ACTIVATION_REQUIRED", (await JsonAsync(again)).GetProperty("result").GetString());
        Assert.Equal(tenants, await factory.CountTenantsAsync());
        await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation, count: 2);

        // Someone else's address under the same tenant name is a taken name, not a resend.
        var other = await PostAsync("/api/v1/signup/provision-user", new { tenantName = name, email = NewEmail(), password = Password });
        Assert.Equal("not_unique", ViolationCode(await JsonAsync(other), "tenantName"));
    }

    [Fact]
    public async Task Disabled_signup_is_refused_with_signup_disabled()
    {
        var closedTenant = await factory.TenantWithSignupAsync(enabled: false);
        await factory.SetApplicationSignupAsync(false);
        try
        {
            var appLevel = await PostAsync("/api/v1/signup/provision-user", new { tenantName = NewTenantName(), email = NewEmail(), password = Password });
            Assert.Equal(HttpStatusCode.BadRequest, appLevel.StatusCode);
            var body = await JsonAsync(appLevel);
            Assert.Equal("signup_disabled", body.GetProperty("code").GetString());
            Assert.Equal("Application-level signup is disabled.", body.GetProperty("message").GetString());
        }
        finally
        {
            await factory.SetApplicationSignupAsync(true);
        }

        var tenantLevel = await PostAsync("/api/v1/signup/provision-user", new { tenantId = closedTenant.Id, email = NewEmail(), password = Password });
        Assert.Equal(HttpStatusCode.BadRequest, tenantLevel.StatusCode);
        Assert.Equal("Signup is disabled for this tenant.", (await JsonAsync(tenantLevel)).GetProperty("message").GetString());
    }

    [Fact]
    public async Task Violations_cover_the_password_policy_the_user_schema_and_the_state_length()
    {
        var tenant = await factory.TenantWithSignupAsync();
        await factory.SetPolicyAsync(PolicyKind.UserSchema, "{\"givenNameRequired\":true}", tenant);
        await factory.SetPolicyAsync(PolicyKind.Password, "{\"digitRequired\":true,\"uppercaseCharRequired\":true}", tenant);

        var response = await PostAsync("/api/v1/signup/provision-user", new
        {
            tenantId = tenant.Id, email = NewEmail(), password = "alllowercase", phoneNumber = "12345", birthdate = "10/12/1990", state = new string('s', 513),
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("constraint_violations_error", body.GetProperty("type").GetString());
        Assert.Equal("required", ViolationCode(body, "givenName"));
        var passwordCodes = body.GetProperty("violations").GetProperty("password").EnumerateArray().Select(v => v.GetProperty("code").GetString()).ToList();
        Assert.Contains("digit_required", passwordCodes);
        Assert.Contains("uppercase_char_required", passwordCodes);
        Assert.Equal("invalid_format", ViolationCode(body, "phoneNumber"));
        Assert.Equal("invalid_format", ViolationCode(body, "birthdate"));
        Assert.Equal("too_long", ViolationCode(body, "state"));
        Assert.False(body.GetProperty("violations").TryGetProperty("externalId", out _));
    }

    [Fact]
    public async Task Tenant_level_provisioning_in_email_verification_mode_returns_a_session_handoff()
    {
        var tenant = await factory.TenantWithSignupAsync();
        await factory.SetPolicyAsync(PolicyKind.SignupWorkflow, "{\"verification\":\"EMAIL_VERIFICATION\"}", tenant);
        var email = NewEmail();

        var response = await PostAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email, password = Password });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await JsonAsync(response);
        Assert.Equal("EMAIL_VERIFICATION_PENDING", body.GetProperty("result").GetString());
        Assert.StartsWith($"https://{LanyardFactory.TenantHost(tenant.Name)}/api/v1/signup/create-auth-session?", body.GetProperty("redirectUrl").GetString(), StringComparison.Ordinal);
        Assert.False((await factory.UserAsync(tenant.Id, email)).EmailVerified);

        var link = CapturingEmailSender.Link(await factory.Emails.WaitForAsync(email, EmailTypes.EmailVerification), $"https://{LanyardFactory.TenantHost(tenant.Name)}/verify-email?code=");
        var code = CodeOf(link);
        Assert.Equal("invalid_email_auth_code", ViolationCode(await JsonAsync(await PostAsync("/api/v1/user-activation/activate-user", new { emailAuthCode = code })), "emailAuthCode"));

        var verified = await PostAsync("/api/v1/email-verification/verify-email", new { emailAuthCode = code });
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
        Assert.True((await JsonAsync(verified)).GetProperty("emailVerified").GetBoolean());
        Assert.True((await factory.UserAsync(tenant.Id, email)).EmailVerified);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync("/api/v1/email-verification/verify-email", new { emailAuthCode = code })).StatusCode);

        var userId = body.GetProperty("userId").GetString();
        var already = await PostAsync("/api/v1/email-verification/request-email-verification", new { userId });
        Assert.Equal("email_already_verified", (await JsonAsync(already)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_email_verification_sends_for_an_unverified_user()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = NewEmail();
        var user = await factory.CreateUserAsync(tenant, email);

        var response = await PostAsync("/api/v1/email-verification/request-email-verification", new { userId = user.Id });

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        await factory.Emails.WaitForAsync(email, EmailTypes.EmailVerification);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync("/api/v1/email-verification/request-email-verification", new { userId = "01NOSUCHUSER0000000000000" })).StatusCode);
    }

    [Fact]
    public async Task Request_user_activation_by_user_id_and_by_email()
    {
        var tenant = await factory.TenantWithSignupAsync();
        var email = NewEmail();
        var provisioned = await JsonAsync(await PostAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email, password = Password }));
        var userId = provisioned.GetProperty("userId").GetString();
        var active = await factory.CreateUserAsync(tenant, NewEmail());

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("/api/v1/user-activation/request-user-activation", new { userId })).StatusCode);
        await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation, count: 2);

        var notPending = await PostAsync("/api/v1/user-activation/request-user-activation", new { userId = active.Id });
        Assert.Equal(HttpStatusCode.BadRequest, notPending.StatusCode);
        Assert.Equal("user_not_pending_activation", (await JsonAsync(notPending)).GetProperty("code").GetString());
        var unknown = await PostAsync("/api/v1/user-activation/request-user-activation", new { userId = "01NOSUCHUSER0000000000000" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("user_not_found", (await JsonAsync(unknown)).GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("/api/v1/user-activation/request-user-activation", new { tenantId = tenant.Id, email })).StatusCode);
        await factory.Emails.WaitForAsync(email, EmailTypes.UserActivation, count: 3);
        var stranger = NewEmail();
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync("/api/v1/user-activation/request-user-activation", new { tenantId = tenant.Id, email = stranger })).StatusCode);
        Assert.Equal(0, await factory.Emails.CountAfterQuietAsync(stranger, TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Workflow_apis_need_a_token_with_the_permission()
    {
        await factory.StartAsync();
        using var anonymous = factory.ClientFor(LanyardFactory.ApplicationHost);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/signup/provision-user", new { })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/user-activation/activate-user", new { emailAuthCode = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/v1/email-verification/verify-email", new { emailAuthCode = "x" })).StatusCode);
    }
}

public sealed class SignupApiTestsOnSqlite(SqliteLanyard factory) : SignupApiTests(factory), IClassFixture<SqliteLanyard>;

public sealed class SignupApiTestsOnPostgres(PostgresLanyard factory) : SignupApiTests(factory), IClassFixture<PostgresLanyard>;

/// <summary>The rate limits with their default values (10 signups per client address per 10 minutes, 5 emails per address per hour).</summary>
public abstract class SignupRateLimitTests(LanyardFactory factory)
{
    [Fact]
    public async Task Signups_from_one_address_and_emails_to_one_address_are_limited()
    {
        await factory.SetApplicationSignupAsync(true);
        using var api = await factory.AdminApiAsync();
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/v1/signup/provision-user", new { tenantName = "x" })).StatusCode);
        }

        var limited = await api.PostAsJsonAsync("/api/v1/signup/provision-user", new { tenantName = NewTenantName(), email = NewEmail(), password = Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        var page = await SubmitAsync(factory.ClientFor(LanyardFactory.ApplicationHost), "/signup", AppForm(NewTenantName(), NewEmail()));
        Assert.Equal(HttpStatusCode.TooManyRequests, page.StatusCode);

        factory.Time.Advance(TimeSpan.FromMinutes(11));
        var tenant = await factory.TenantWithSignupAsync();
        var email = NewEmail();
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.NoContent, (await api.PostAsJsonAsync("/api/v1/user-activation/request-user-activation", new { tenantId = tenant.Id, email })).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await api.PostAsJsonAsync("/api/v1/user-activation/request-user-activation", new { tenantId = tenant.Id, email })).StatusCode);
    }
}

public sealed class SignupRateLimitTestsOnSqlite(SqliteLanyard factory) : SignupRateLimitTests(factory), IClassFixture<SqliteLanyard>;

public sealed class SignupRateLimitTestsOnPostgres(PostgresLanyard factory) : SignupRateLimitTests(factory), IClassFixture<PostgresLanyard>;

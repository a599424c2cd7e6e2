using System.Net;
using System.Net.Http.Json;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Workflows;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using static Lanyard.Server.Tests.Features.Signup.SignupKit;

namespace Lanyard.Server.Tests.Features.Signup;

/// <summary>
/// How a workflow ends: the redirect precedence of the signup seed, the refusals of the auth-session handoff
/// (reused, foreign tenant, other workflow, expired), and an expired email-verification code.
/// </summary>
public abstract class WorkflowEndTests
{
    private const string SessionCookie = "__Host-lanyard_session";
    private const string ApplicationLoginUrl = "https://app.example/application-login";
    private readonly LanyardFactory factory;
    private readonly OAuthFlow _flow;

    protected WorkflowEndTests(LanyardFactory factory)
    {
        this.factory = factory;
        _flow = new OAuthFlow(factory);
        factory.With("Lanyard:Throttling:SignupsPerAddress", "100000");
    }

    private async Task SetApplicationLoginUrlAsync()
    {
        await factory.StartAsync();
        await using var scope = factory.ScopeFor(factory.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var application = await db.Set<Application>().AsTracking().SingleAsync(a => a.Id == factory.Bootstrap.ApplicationId);
        application.LoginUrl = ApplicationLoginUrl;
        await db.SaveChangesAsync();
    }

    /// <summary>Tenant-level signup in email-verification mode through the hosted page: where the handoff finally sends the browser.</summary>
    private async Task<Uri> SignupEndsAtAsync(Tenant tenant, string? clientId)
    {
        var host = LanyardFactory.TenantHost(tenant.Name);
        var browser = factory.ClientFor(host);
        var query = clientId is null ? "?state=st-1" : $"?client_id={clientId}&state=st-1";
        var submitted = await SubmitAsync(browser, "/signup" + query, TenantForm(NewEmail()));
        Assert.Equal(HttpStatusCode.SeeOther, submitted.StatusCode);
        Assert.Equal($"https://{host}/api/v1/signup/create-auth-session", submitted.Headers.Location!.GetLeftPart(UriPartial.Path));
        var landed = await browser.GetAsync(submitted.Headers.Location);
        Assert.Equal(HttpStatusCode.Redirect, landed.StatusCode);
        return landed.Headers.Location!;
    }

    private async Task<Tenant> VerificationTenantAsync(string? customRedirectUrl)
    {
        var tenant = await factory.TenantWithSignupAsync();
        var custom = customRedirectUrl is null ? "" : $",\"customRedirectUrl\":\"{customRedirectUrl}\"";
        await factory.SetPolicyAsync(PolicyKind.SignupWorkflow, "{\"verification\":\"EMAIL_VERIFICATION\"" + custom + "}", tenant);
        return tenant;
    }

    [Fact]
    public async Task The_tenants_custom_redirect_beats_the_clients_login_url_which_beats_the_applications()
    {
        await SetApplicationLoginUrlAsync();
        var withLoginUrl = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb", loginUrl: "https://app.example/client-login");
        var withoutLoginUrl = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb");

        var custom = await VerificationTenantAsync("https://custom.example/{tenant_name}/welcome");
        var plain = await VerificationTenantAsync(null);

        var toCustom = await SignupEndsAtAsync(custom, withLoginUrl.Id);
        var toClient = await SignupEndsAtAsync(plain, withLoginUrl.Id);
        var toApplication = await SignupEndsAtAsync(plain, withoutLoginUrl.Id);

        Assert.Equal($"https://custom.example/{custom.Name}/welcome?state=st-1", toCustom.OriginalString);
        Assert.Equal("https://app.example/client-login", toClient.GetLeftPart(UriPartial.Path));
        Assert.Equal("st-1", OAuthFlow.Query(toClient)["state"]);
        Assert.Equal(plain.Name, OAuthFlow.Query(toClient)["tenant_name"]);
        Assert.Equal(ApplicationLoginUrl, toApplication.GetLeftPart(UriPartial.Path));
        Assert.Equal("st-1", OAuthFlow.Query(toApplication)["state"]);
    }

    [Fact]
    public async Task An_application_level_custom_redirect_is_not_a_tenants_and_does_not_apply_to_signup()
    {
        // The seed resolves the end of signup from the tenant's own signup workflow policy only.
        await SetApplicationLoginUrlAsync();
        await factory.SetPolicyAsync(PolicyKind.SignupWorkflow, "{\"verification\":\"EMAIL_VERIFICATION\",\"customRedirectUrl\":\"https://application-level.example/\"}");
        var client = await _flow.CreateClientAsync(OAuthClientType.BackendServer, "https://app.example/cb", loginUrl: "https://app.example/client-login");
        var tenant = await factory.TenantWithSignupAsync();

        try
        {
            var landed = await SignupEndsAtAsync(tenant, client.Id);
            Assert.Equal("https://app.example/client-login", landed.GetLeftPart(UriPartial.Path));
        }
        finally
        {
            await factory.SetPolicyAsync(PolicyKind.SignupWorkflow, "{}");
        }
    }

    private async Task<(Tenant Tenant, string Url)> HandoffAsync(string workflow)
    {
        await factory.StartAsync();
        var tenant = await factory.CreateTenantAsync();
        var user = await factory.CreateUserAsync(tenant, NewEmail());
        await using var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id);
        var db = LanyardFactory.Db(scope);
        var application = await db.Set<Application>().AsNoTracking().FirstAsync(a => a.Id == tenant.ApplicationId);
        var (url, _, _) = await scope.ServiceProvider.GetRequiredService<AuthSessionHandoff>()
            .IssueAsync(application, tenant, user.Id, workflow, new WorkflowContext(Amr: ["pwd"]), CancellationToken.None);
        await db.SaveChangesAsync();
        return (tenant, url);
    }

    private static void AssertRefused(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith(SessionCookie, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_handoff_code_works_once()
    {
        var (tenant, url) = await HandoffAsync(Workflow.PasswordReset);
        var host = LanyardFactory.TenantHost(tenant.Name);

        Assert.Equal(HttpStatusCode.Redirect, (await factory.ClientFor(host).GetAsync(url)).StatusCode);
        AssertRefused(await factory.ClientFor(host).GetAsync(url));
    }

    [Fact]
    public async Task A_handoff_code_presented_on_another_tenants_host_creates_no_session_there()
    {
        var (_, url) = await HandoffAsync(Workflow.PasswordReset);
        var other = await factory.CreateTenantAsync();
        var otherHost = LanyardFactory.TenantHost(other.Name);
        var path = new Uri(url).PathAndQuery;

        AssertRefused(await factory.ClientFor(otherHost).GetAsync(path));
    }

    [Fact]
    public async Task A_handoff_code_of_one_workflow_is_refused_by_another()
    {
        var (tenant, url) = await HandoffAsync(Workflow.PasswordReset);
        var wrong = url.Replace("/api/v1/password-reset/", "/api/v1/user-activation/", StringComparison.Ordinal);

        AssertRefused(await factory.ClientFor(LanyardFactory.TenantHost(tenant.Name)).GetAsync(wrong));
    }

    [Fact]
    public async Task A_handoff_code_expires_after_five_minutes()
    {
        var (tenant, url) = await HandoffAsync(Workflow.NewUserInvitation);
        factory.Time.Advance(AuthSessionHandoff.CodeLifetime + TimeSpan.FromSeconds(1));

        AssertRefused(await factory.ClientFor(LanyardFactory.TenantHost(tenant.Name)).GetAsync(url));
    }

    [Fact]
    public async Task An_expired_email_verification_code_is_refused_by_the_api_and_the_page()
    {
        var tenant = await factory.TenantWithSignupAsync();
        await factory.SetPolicyAsync(PolicyKind.SignupWorkflow, "{\"verification\":\"EMAIL_VERIFICATION\"}", tenant);
        using var admin = await factory.AdminApiAsync();
        var first = NewEmail();
        var second = NewEmail();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email = first, password = Password })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email = second, password = Password })).StatusCode);
        var host = LanyardFactory.TenantHost(tenant.Name);
        var apiCode = CodeOf(CapturingEmailSender.Link(await factory.Emails.WaitForAsync(first, EmailTypes.EmailVerification), $"https://{host}/verify-email?code="));
        var pageLink = CapturingEmailSender.Link(await factory.Emails.WaitForAsync(second, EmailTypes.EmailVerification), $"https://{host}/verify-email?code=");

        factory.Time.Advance(EmailPolicy.DefaultLifetime(EmailTypes.EmailVerification) + TimeSpan.FromMinutes(1));

        using var freshAdmin = await factory.AdminApiAsync(); // the first admin token expired with the clock
        var viaApi = await freshAdmin.PostAsJsonAsync("/api/v1/email-verification/verify-email", new { emailAuthCode = apiCode });
        Assert.Equal("invalid_email_auth_code", ViolationCode(await JsonAsync(viaApi), "emailAuthCode"));
        var viaPage = await (await factory.ClientFor(host).GetAsync(pageLink)).Content.ReadAsStringAsync();
        Assert.Contains("data-testid=\"verification-invalid\"", viaPage, StringComparison.Ordinal);
        Assert.False((await factory.UserAsync(tenant.Id, first)).EmailVerified);
        Assert.False((await factory.UserAsync(tenant.Id, second)).EmailVerified);
    }
}

public sealed class WorkflowEndOnSqlite(SqliteLanyard factory) : WorkflowEndTests(factory), IClassFixture<SqliteLanyard>;

public sealed class WorkflowEndOnPostgres(PostgresLanyard factory) : WorkflowEndTests(factory), IClassFixture<PostgresLanyard>;

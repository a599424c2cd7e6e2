using System.Net;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Tests.Features.Invitations;
using Lanyard.Server.Tests.Features.Signup;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Features.Policies;

/// <summary>
/// The password policy wherever a password is set, and its offline breached/common-password check: refused
/// when set, and (with <c>REQUIRE_PASSWORD_RESET</c>) a correct login with such a password sent to a reset.
/// </summary>
public abstract class PasswordPolicyTests(LanyardFactory factory) : IAsyncLifetime
{
    /// <summary>A common word with digits added: on no list itself, refused as a dressed-up common password.</summary>
    private const string Dressed = "Password1234567";

    private const string Strong = "violet lantern orbit 58";

    private readonly PolicyApiKit _kit = new(factory);
    private readonly OAuthFlow _flow = new(factory);

    public async ValueTask InitializeAsync()
    {
        factory.RequireDatabase();
        await factory.StartAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Theory]
    [InlineData("password")]
    [InlineData("PASSWORD1")]
    [InlineData("Qwertyuiop")]
    [InlineData("iloveyou")]
    [InlineData("Password1234567")]
    [InlineData("!!Sunshine2024!!")]
    [InlineData("123456789")]
    public void Common_passwords_are_recognised_whatever_their_case_and_decoration(string password) =>
        Assert.True(CommonPasswords.IsCommon(password));

    [Theory]
    [InlineData("correct horse battery")]
    [InlineData("violet lantern orbit 58")]
    [InlineData("Tr0ub4dor&3xq")]
    [InlineData("love2024!!")] // "love" is too short a stem to refuse on its own
    public void Uncommon_passwords_pass(string password) => Assert.False(CommonPasswords.IsCommon(password));

    [Fact]
    public void The_list_ships_inside_the_server() => Assert.Equal(10_000, CommonPasswords.Count);

    [Fact]
    public async Task Breached_detection_refuses_common_passwords_wherever_a_password_is_set()
    {
        var tenant = await factory.TenantWithSignupAsync();
        var email = $"p{Guid.NewGuid():N}@example.com";
        var user = await factory.CreateUserAsync(tenant, email, OAuthFlow.TestPassword);

        // Off (the default): a common password is only as weak as the other rules say.
        using (var allowed = await ChangeAsync(user.Id, OAuthFlow.TestPassword, "sunshine2024"))
        {
            Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        }

        await OverrideAsync(tenant, new { minimumLength = 8, breachedPwdDetectionEnabled = true });

        // change-password
        using var change = await ChangeAsync(user.Id, "sunshine2024", Dressed);
        Assert.Equal(["breached_password"], await PolicyApiKit.ViolationsAsync(change, "newPassword"));

        // signup
        using var signup = await _kit.PostAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email = SignupKit.NewEmail(), password = "qwerty123456" });
        Assert.Contains("breached_password", await PolicyApiKit.ViolationsAsync(signup, "password"));

        // invitation acceptance
        var invitations = new InvitationKit(factory);
        await invitations.AdminAsync();
        var (_, link) = await invitations.InviteNewAsync(tenant, InvitationKit.NewEmail());
        using var accept = await _kit.PostAsync("/api/v1/new-user-invitation/accept-invite", new { emailAuthCode = InvitationKit.CodeOf(link), password = "iloveyou2" });
        Assert.Contains("breached_password", await PolicyApiKit.ViolationsAsync(accept, "password"));

        // reset
        using (await _kit.PostAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id, loginIdentifier = email }))
        {
        }

        var resetMail = await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset);
        var code = Lanyard.Server.Tests.Features.PasswordReset.ResetKit.Code(
            CapturingEmailSender.Link(resetMail, $"https://{LanyardFactory.TenantHost(tenant.Name)}/reset-password?code="));
        using var reset = await _kit.PostAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = "Football!!2024" });
        Assert.Contains("breached_password", await PolicyApiKit.ViolationsAsync(reset, "newPassword"));

        // creating a user (the use case the management API and the importer share)
        await using (var scope = factory.ScopeFor(tenant.ApplicationId, tenant.Id))
        {
            var created = await scope.ServiceProvider.GetRequiredService<CreateUser>()
                .ExecuteAsync(new CreateUserRequest($"c{Guid.NewGuid():N}@example.com", "baseball1"), CancellationToken.None);
            Assert.True(Assert.IsType<CreateUserResult.Invalid>(created).Violations.Has("password", "breached_password"));
        }

        // An uncommon password still goes through everywhere.
        using var resetFine = await _kit.PostAsync("/api/v1/password-reset/reset-password", new { emailAuthCode = code, newPassword = "another violet lantern 9" });
        Assert.Equal(HttpStatusCode.OK, resetFine.StatusCode);
        using var fine = await ChangeAsync(user.Id, "another violet lantern 9", Strong);
        Assert.Equal(HttpStatusCode.NoContent, fine.StatusCode);
        using var signupFine = await _kit.PostAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email = SignupKit.NewEmail(), password = Strong });
        Assert.Equal(HttpStatusCode.Created, signupFine.StatusCode);
    }

    [Fact]
    public async Task Every_rule_is_reported_with_its_bounds()
    {
        var tenant = await factory.TenantWithSignupAsync();
        var user = await factory.CreateUserAsync(tenant, $"p{Guid.NewGuid():N}@example.com", OAuthFlow.TestPassword);
        await OverrideAsync(tenant, new { minimumLength = 30, uppercaseCharRequired = true, digitRequired = true, specialCharRequired = true, lowercaseCharRequired = true });

        using var weak = await ChangeAsync(user.Id, OAuthFlow.TestPassword, "ALLUPPERCASE");
        Assert.Equal(["too_short", "lowercase_char_required", "digit_required", "special_char_required"],
            await PolicyApiKit.ViolationsAsync(weak, "newPassword"));

        using var signup = await _kit.PostAsync("/api/v1/signup/provision-user", new { tenantId = tenant.Id, email = SignupKit.NewEmail(), password = "ALLUPPERCASE" });
        var body = await PolicyApiKit.BodyAsync(signup);
        Assert.Equal(30, body.GetProperty("violations").GetProperty("password")[0].GetProperty("constraintAttributes").GetProperty("minLength").GetInt32());

        using var tooLong = await ChangeAsync(user.Id, OAuthFlow.TestPassword, "Aa1!" + new string('x', 61));
        Assert.Equal(["too_long"], await PolicyApiKit.ViolationsAsync(tooLong, "newPassword"));
    }

    [Fact]
    public async Task A_login_with_a_breached_password_is_sent_to_a_password_reset()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"b{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email, "monkey123456");

        // Detection on but remediation NONE: the login goes on.
        await OverrideAsync(tenant, new { minimumLength = 8, breachedPwdDetectionEnabled = true });
        var (_, challenge) = OAuthFlow.NewPkce();
        var callback = await _flow.AuthorizeAsync(_flow.Browser(tenant.Name), OAuthFlow.AuthorizeParameters(_flow.DemoClient, challenge), email, "monkey123456");
        Assert.True(callback.IsAbsoluteUri);

        await OverrideAsync(tenant, new { breachedPwdLoginRemediationStrategy = "REQUIRE_PASSWORD_RESET" });
        var browser = _flow.Browser(tenant.Name);
        using var login = await _flow.SubmitLoginAsync(browser, "/login", email, "monkey123456");
        var html = await login.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        Assert.Contains("data-testid=\"password-reset-required\"", html, StringComparison.Ordinal);
        await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset);

        // No session came of it.
        using var authorize = await browser.GetAsync(OAuthFlow.AuthorizeUrl(OAuthFlow.AuthorizeParameters(_flow.DemoClient, challenge)));
        Assert.StartsWith("/login", authorize.Headers.Location!.OriginalString, StringComparison.Ordinal);

        // A wrong password gets the usual failure: the remediation never says anything about a password it did not verify.
        using var wrong = await _flow.SubmitLoginAsync(_flow.Browser(tenant.Name), "/login", email, "monkey1234567");
        var wrongHtml = await wrong.Content.ReadAsStringAsync();
        Assert.DoesNotContain("password-reset-required", wrongHtml, StringComparison.Ordinal);
        Assert.Contains(Lanyard.Server.Pages.TenantLogin.IndexModel.FailureMessage, System.Net.WebUtility.HtmlDecode(wrongHtml), StringComparison.Ordinal);

        // Switched off again: the application's policy (no detection) lets the same login through.
        using (await _kit.ToggleAsync(tenant, "DISABLED", "password-policy"))
        {
        }

        var (_, again) = OAuthFlow.NewPkce();
        Assert.True((await _flow.AuthorizeAsync(_flow.Browser(tenant.Name), OAuthFlow.AuthorizeParameters(_flow.DemoClient, again), email, "monkey123456")).IsAbsoluteUri);
    }

    [Fact]
    public async Task The_reset_page_shows_the_rules_it_enforces()
    {
        var tenant = await factory.CreateTenantAsync();
        var email = $"h{Guid.NewGuid():N}@example.com";
        await factory.CreateUserAsync(tenant, email, OAuthFlow.TestPassword);
        await OverrideAsync(tenant, new { minimumLength = 12, breachedPwdDetectionEnabled = true });
        using (await _kit.PostAsync("/api/v1/password-reset/request-password-reset", new { tenantId = tenant.Id, loginIdentifier = email }))
        {
        }

        var link = CapturingEmailSender.Link(await factory.Emails.WaitForAsync(email, EmailTypes.PasswordReset),
            $"https://{LanyardFactory.TenantHost(tenant.Name)}/reset-password?code=");
        var browser = _flow.Browser(tenant.Name);
        var form = await browser.GetStringAsync(new Uri(new Uri(link).PathAndQuery, UriKind.Relative));
        Assert.Contains("At least 12 characters", form, StringComparison.Ordinal);
        Assert.Contains("not a commonly used password", form, StringComparison.Ordinal);

        using var refused = await Lanyard.Server.Tests.Features.PasswordReset.ResetKit.SetPasswordAsync(browser, new Uri(link).PathAndQuery, "Sunshine2024!");
        Assert.Contains("one of the most commonly used", System.Net.WebUtility.HtmlDecode(await refused.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    private async Task OverrideAsync(Lanyard.Server.Features.Tenants.Tenant tenant, object settings)
    {
        using var response = await _kit.PostAsync("/api/v1/password-policies?upsert=true", PolicyApiKit.Body("TENANT", tenant.Id, settings));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var toggle = await _kit.ToggleAsync(tenant, "ENABLED", "password-policy");
        Assert.True(toggle.IsSuccessStatusCode);
    }

    private Task<HttpResponseMessage> ChangeAsync(string userId, string current, string next) =>
        _kit.PostAsync("/api/v1/change-password", new { userId, currentPassword = current, newPassword = next });
}

public sealed class PasswordPolicyOnSqlite(SqliteLanyard factory) : PasswordPolicyTests(factory), IClassFixture<SqliteLanyard>;

public sealed class PasswordPolicyOnPostgres(PostgresLanyard factory) : PasswordPolicyTests(factory), IClassFixture<PostgresLanyard>;

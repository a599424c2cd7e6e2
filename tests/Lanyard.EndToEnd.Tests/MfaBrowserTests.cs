using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Policies;
using Lanyard.Testing;
using Microsoft.Playwright;
using OtpNet;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// Multi-factor authentication in Chromium through the Express sample (Wristband's SDK): enrollment from
/// the secret the page shows (codes computed here, on Lanyard's clock), signing in again with TOTP, the
/// single-use recovery code, REQUIRED enrollment at login, and a tenant override that requires MFA in one
/// tenant while another stays optional.
/// </summary>
public sealed class MfaBrowserTests(SqliteBrowserRig rig) : IClassFixture<SqliteBrowserRig>, IAsyncLifetime
{
    private const string Password = "correct horse battery";
    private readonly int _appPort = ServerProcess.FreePort();
    private ExpressApp _app = null!;

    private string AppOrigin => $"https://localhost:{_appPort}";

    private KestrelLanyard Lanyard => rig.Lanyard;

    public async ValueTask InitializeAsync()
    {
        await Lanyard.StartAsync();
        var client = await new OAuthFlow(Lanyard).CreateClientAsync(
            OAuthClientType.BackendServer, $"{AppOrigin}/auth/callback", loginUrl: $"{AppOrigin}/auth/login");
        _app = await rig.StartAppAsync(new Dictionary<string, string>
        {
            ["PORT"] = _appPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["LANYARD_CLIENT_ID"] = client.Id,
            ["LANYARD_CLIENT_SECRET"] = client.Secret!,
        });
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Enroll_then_sign_in_with_totp_then_with_the_recovery_code_which_works_once()
    {
        var tenant = await Lanyard.CreateTenantAsync();
        var email = $"mfa{Guid.NewGuid():N}@example.com";
        await Lanyard.CreateUserAsync(tenant, email, Password);
        await InBrowserAsync(async page =>
        {
            // Sign in with the password (MFA optional, not enrolled), then enroll from Lanyard's page.
            await SignInAsync(page, tenant.NormalizedName, email);
            await AssertSignedInAsync(page, email);
            await page.GotoAsync($"https://{Lanyard.TenantAuthority(tenant.NormalizedName)}/mfa/enroll");
            await Assertions.Expect(page.GetByTestId("totp-qr")).ToBeVisibleAsync();
            var secret = (await page.GetByTestId("totp-secret").InnerTextAsync()).Trim();
            await page.Locator("input[name='Input.Code']").FillAsync(CodeNow(secret));
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).NavigateByClickAsync();
            var recoveryCode = (await page.GetByTestId("recovery-code").InnerTextAsync()).Trim();
            Assert.NotEmpty(recoveryCode);

            // Sign out, sign in again: the password is not enough any more.
            await SignOutAsync(page);
            Lanyard.Time.Advance(TimeSpan.FromSeconds(30)); // the enrollment's code (and its step) cannot be used again
            await SignInAsync(page, tenant.NormalizedName, email);
            await page.WaitForURLAsync(url => url.Contains("/mfa/challenge", StringComparison.Ordinal));
            await page.Locator("input[name='Input.Code']").FillAsync(CodeNow(secret));
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).NavigateByClickAsync();
            await AssertSignedInAsync(page, email);

            // The recovery code signs in once.
            await SignOutAsync(page);
            await SignInAsync(page, tenant.NormalizedName, email);
            await page.WaitForURLAsync(url => url.Contains("/mfa/challenge", StringComparison.Ordinal));
            await page.Locator("input[name='Input.RecoveryCode']").FillAsync(recoveryCode);
            await page.GetByRole(AriaRole.Button, new() { Name = "Use recovery code" }).NavigateByClickAsync();
            await page.GetByTestId("continue").NavigateByClickAsync();
            await AssertSignedInAsync(page, email);

            await SignOutAsync(page);
            await SignInAsync(page, tenant.NormalizedName, email);
            await page.WaitForURLAsync(url => url.Contains("/mfa/challenge", StringComparison.Ordinal));
            await page.Locator("input[name='Input.RecoveryCode']").FillAsync(recoveryCode);
            await page.GetByRole(AriaRole.Button, new() { Name = "Use recovery code" }).NavigateByClickAsync();
            await Assertions.Expect(page.GetByTestId("error")).ToBeVisibleAsync();
            Assert.Contains("/mfa/challenge", page.Url, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_tenant_override_requires_enrollment_at_login_in_one_tenant_while_another_stays_optional()
    {
        var strict = await Lanyard.CreateTenantAsync();
        var relaxed = await Lanyard.CreateTenantAsync();
        await Lanyard.SetPolicyAsync(PolicyKind.Mfa, """{"enrollmentStrategy":"REQUIRED"}""", strict);
        var strictUser = $"strict{Guid.NewGuid():N}@example.com";
        var relaxedUser = $"relaxed{Guid.NewGuid():N}@example.com";
        await Lanyard.CreateUserAsync(strict, strictUser, Password);
        await Lanyard.CreateUserAsync(relaxed, relaxedUser, Password);

        // The relaxed tenant follows the application's OPTIONAL default: straight in.
        await InBrowserAsync(async page =>
        {
            await SignInAsync(page, relaxed.NormalizedName, relaxedUser);
            await AssertSignedInAsync(page, relaxedUser);
        });

        // The strict tenant's existing user must enroll before reaching the app.
        await InBrowserAsync(async page =>
        {
            await SignInAsync(page, strict.NormalizedName, strictUser);
            await page.WaitForURLAsync(url => url.Contains("/mfa/enroll", StringComparison.Ordinal));
            Assert.DoesNotContain(AppOrigin + "/", page.Url.Split('?')[0], StringComparison.Ordinal);

            // Going around the page does not help: the app's login sends the browser back to enrollment.
            await page.GotoAsync($"{AppOrigin}/auth/login?tenant_domain={strict.NormalizedName}");
            await page.WaitForURLAsync(url => url.Contains("/mfa/enroll", StringComparison.Ordinal));

            var secret = (await page.GetByTestId("totp-secret").InnerTextAsync()).Trim();
            await page.Locator("input[name='Input.Code']").FillAsync(CodeNow(secret));
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).NavigateByClickAsync();
            await page.GetByTestId("continue").NavigateByClickAsync();
            await AssertSignedInAsync(page, strictUser);
        });
    }

    private string CodeNow(string base32Secret) =>
        new Totp(Base32Encoding.ToBytes(base32Secret)).ComputeTotp(Lanyard.Time.GetUtcNow().UtcDateTime);

    /// <summary>
    /// Runs steps in a fresh browser profile whose navigations are traced: a step that fails reports how the browser
    /// got where it is, with Lanyard's last log lines and the app's output.
    /// </summary>
    private async Task InBrowserAsync(Func<IPage, Task> steps)
    {
        await using var context = await rig.Browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        await NavigationTrail.Follow(page).RunAsync(Lanyard, () => steps(page), () => $"Express app output:{Environment.NewLine}{_app.Output}");
    }

    private async Task SignInAsync(IPage page, string tenantName, string email)
    {
        await page.GotoAsync($"{AppOrigin}/auth/login?tenant_domain={tenantName}");
        await page.WaitForURLAsync(url => url.StartsWith($"https://{Lanyard.TenantAuthority(tenantName)}/login", StringComparison.Ordinal));
        await page.Locator("input[name='Input.Identifier']").FillAsync(email);
        await page.Locator("input[name='Input.Password']").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).NavigateByClickAsync();
    }

    private async Task SignOutAsync(IPage page)
    {
        await page.GotoAsync($"{AppOrigin}/auth/logout");
        await page.WaitForURLAsync(url => url.Contains("/login", StringComparison.Ordinal) && !url.StartsWith(AppOrigin, StringComparison.Ordinal));
    }

    private async Task AssertSignedInAsync(IPage page, string email)
    {
        await page.WaitForURLAsync(AppOrigin + "/");
        Assert.Equal($"Signed in as {email}", await page.Locator("#user").InnerTextAsync());
    }
}

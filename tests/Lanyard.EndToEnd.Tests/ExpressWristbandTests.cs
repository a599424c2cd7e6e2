using System.Text.RegularExpressions;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// The sample Express app on the real <c>@wristband/express-auth</c> 3.0.1, driven by Chromium against
/// Lanyard on Kestrel: login → Lanyard's hosted tenant login page → callback (token exchange and
/// userinfo, done by the SDK) → token refresh → logout (revoke, then Lanyard's logout), in both of the
/// SDK's tenant styles. Both tests serve the app on port 6001, so they run one after the other.
/// </summary>
public sealed partial class ExpressWristbandTests(SqliteBrowserRig rig) : IClassFixture<SqliteBrowserRig>
{
    private const string AppPort = "6001";

    [Fact]
    public async Task Sdk_with_tenant_in_query_parameter_completes_login_refresh_and_logout()
    {
        var bootstrap = rig.Lanyard.Bootstrap;
        await using var app = await rig.StartAppAsync(new Dictionary<string, string>
        {
            ["PORT"] = AppPort,
            ["LANYARD_CLIENT_ID"] = bootstrap.DemoClientId,
            ["LANYARD_CLIENT_SECRET"] = bootstrap.DemoClientSecret,
        });

        await WalkThroughAsync(app, bootstrap.DemoClientId, "https://localhost:6001", "/auth/login?tenant_domain=demo", tenantInQuery: true);
    }

    [Fact]
    public async Task Sdk_with_tenant_subdomains_completes_login_refresh_and_logout()
    {
        var client = await new OAuthFlow(rig.Lanyard).CreateClientAsync(
            OAuthClientType.BackendServer,
            "https://{tenant_domain}.app.localhost:6001/auth/callback",
            loginUrl: "https://{tenant_domain}.app.localhost:6001/auth/login");
        await using var app = await rig.StartAppAsync(new Dictionary<string, string>
        {
            ["PORT"] = AppPort,
            ["LANYARD_CLIENT_ID"] = client.Id,
            ["LANYARD_CLIENT_SECRET"] = client.Secret!,
            ["TENANT_ROOT_DOMAIN"] = "app.localhost:6001",
        });

        await WalkThroughAsync(app, client.Id, "https://demo.app.localhost:6001", "/auth/login", tenantInQuery: false);
    }

    private async Task WalkThroughAsync(ExpressApp app, string clientId, string appOrigin, string loginPath, bool tenantInQuery)
    {
        var bootstrap = rig.Lanyard.Bootstrap;
        var lanyardTenantAuthority = rig.Lanyard.TenantAuthority(bootstrap.DemoTenantName);
        await using var context = await rig.Browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(15_000);
        var page = await context.NewPageAsync();
        var trail = NavigationTrail.Follow(page);
        await trail.RunAsync(rig.Lanyard, async () =>
        {
            // 1. The app's login endpoint sends the browser to Lanyard's hosted login page of the tenant.
            await page.GotoAsync(appOrigin + loginPath);
            AssertOnLanyardLoginPage(page, lanyardTenantAuthority);
            await AssertScreenshotRendersAsync(page, Path.Combine(Path.GetTempPath(), $"lanyard-e2e-login-{(tenantInQuery ? "query" : "subdomain")}.png"));

            // 2. Sign in; Lanyard redirects to the app's callback, the SDK redeems the code and reads userinfo.
            await page.Locator("input[name='Input.Identifier']").FillAsync(bootstrap.DemoUserEmail);
            await page.Locator("input[name='Input.Password']").FillAsync(bootstrap.DemoUserPassword);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).NavigateByClickAsync();
            await page.WaitForURLAsync(url => url.StartsWith(appOrigin + "/", StringComparison.Ordinal));
            Assert.Equal(appOrigin + "/", page.Url);
            Assert.Equal($"Signed in as {bootstrap.DemoUserEmail}", await page.Locator("#user").InnerTextAsync());
            Assert.Equal($"Tenant: {bootstrap.DemoTenantName}", await page.Locator("#tenant").InnerTextAsync());
            var firstTokenId = TokenId(await page.Locator("#jti").InnerTextAsync());

            // 3. Forced refreshes through the SDK (refresh_token grant). The second one uses the refresh token
            //    the first one returned, so Lanyard must have sent back a usable one.
            var previousTokenId = firstTokenId;
            for (var i = 0; i < 2; i++)
            {
                await page.GotoAsync(appOrigin + "/refresh");
                Assert.Equal(appOrigin + "/refresh", page.Url);
                Assert.Equal("Refreshed", await page.Locator("h1").InnerTextAsync());
                Assert.Equal(previousTokenId, TokenId(await page.Locator("#previous-jti").InnerTextAsync()));
                var refreshedTokenId = TokenId(await page.Locator("#jti").InnerTextAsync());
                Assert.NotEqual(previousTokenId, refreshedTokenId);
                previousTokenId = refreshedTokenId;
            }

            // 4. Logout: the SDK revokes the refresh token, then Lanyard ends its session and sends the browser
            //    to the client's login URL, whose new authorization request must ask for credentials again.
            await page.GotoAsync(appOrigin + "/auth/logout");
            AssertOnLanyardLoginPage(page, lanyardTenantAuthority);
            await Assertions.Expect(page.Locator("input[name='Input.Password']")).ToBeVisibleAsync();
            Assert.Equal("Sign in", await page.Locator("h1").InnerTextAsync());
            await AssertGrantRevokedAsync(clientId);
            var afterLogout = trail.Requests().SkipWhile(n => !n.Contains("/auth/logout", StringComparison.Ordinal)).Skip(1).Take(2).ToList();
            Assert.Equal(2, afterLogout.Count);
            Assert.StartsWith($"GET https://{lanyardTenantAuthority}/api/v1/logout?client_id={clientId}", afterLogout[0], StringComparison.Ordinal);
            var loginAgain = new Uri(afterLogout[1]["GET ".Length..]);
            Assert.Equal(appOrigin + "/auth/login", loginAgain.GetLeftPart(UriPartial.Path));
            if (tenantInQuery)
            {
                Assert.Equal(bootstrap.DemoTenantName, OAuthFlow.Query(loginAgain)["tenant_domain"]);
            }

            // The app's own session is gone too.
            await page.GotoAsync(appOrigin + "/");
            Assert.Equal("You are not signed in.", await page.Locator("p").First.InnerTextAsync());
        }, () => $"Express app output:{Environment.NewLine}{app.Output}");
    }

    private static void AssertOnLanyardLoginPage(IPage page, string tenantAuthority)
    {
        var url = new Uri(page.Url);
        Assert.Equal("https", url.Scheme);
        Assert.Equal(tenantAuthority, url.Authority);
        Assert.Equal("/login", url.AbsolutePath);
    }

    /// <summary>The page renders: a PNG of the viewport's size whose pixels are not all alike.</summary>
    private static async Task AssertScreenshotRendersAsync(IPage page, string path)
    {
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        var png = Png.Read(path);
        Assert.True(png.Width >= page.ViewportSize!.Width && png.Height >= page.ViewportSize.Height, $"screenshot is {png.Width}x{png.Height}");
        Assert.True(png.DistinctPixels > 16, $"the screenshot at {path} looks blank ({png.DistinctPixels} distinct colours)");
        TestContext.Current.SendDiagnosticMessage($"Lanyard login page screenshot: {path}");
    }

    private async Task AssertGrantRevokedAsync(string clientId)
    {
        await using var scope = rig.Lanyard.ScopeFor(rig.Lanyard.Bootstrap.ApplicationId);
        var grants = await LanyardFactory.Db(scope).Grants.AsNoTracking()
            .Where(g => g.ClientId == clientId)
            .Select(g => new { g.RevokedAt, g.RevokedReason })
            .ToListAsync(TestContext.Current.CancellationToken);
        var grant = Assert.Single(grants);
        Assert.NotNull(grant.RevokedAt);
        Assert.Equal("revoked_by_client", grant.RevokedReason);
    }

    private static string TokenId(string text)
    {
        var match = TokenIdPattern().Match(text);
        Assert.True(match.Success, $"no access token id in '{text}'");
        return match.Groups[1].Value;
    }

    [GeneratedRegex(@"access token id: ([^\s,]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TokenIdPattern();
}

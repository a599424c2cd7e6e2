using System.Diagnostics;
using System.Text;
using Lanyard.Server.Features.Clients;
using Lanyard.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// The ASP.NET Core sample (samples/aspnetcore-oidc) on Microsoft's OpenID Connect handler, configured with
/// nothing but Lanyard's issuer: discovery, tenant discovery on Lanyard's application host, the tenant's
/// hosted login, code + PKCE, ID token and userinfo, then RP-initiated sign-out through the application host.
/// </summary>
public sealed class AspNetCoreOidcTests(SqliteBrowserRig rig) : IClassFixture<SqliteBrowserRig>
{
    [Fact]
    public async Task Standard_oidc_handler_signs_in_with_code_and_pkce_and_signs_out()
    {
        var appPort = ServerProcess.FreePort();
        var origin = $"https://localhost:{appPort}";
        var client = await new OAuthFlow(rig.Lanyard).CreateClientAsync(OAuthClientType.BackendServer, $"{origin}/signin-oidc");
        await RegisterLogoutUrlAsync($"{origin}/signout-callback-oidc");
        await using var app = await SampleProcess.StartAsync(rig, appPort, client);

        await WalkThroughAsync(origin, app);
    }

    private async Task WalkThroughAsync(string origin, SampleProcess app)
    {
        await using var context = await rig.Browser.NewContextAsync(new() { IgnoreHTTPSErrors = true });
        // Generous: on two cores right after the server tests, the first backchannel discovery and the first
        // page of each host are cold (JIT, TLS); a wait that runs out reports how the browser got where it was.
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var trail = NavigationTrail.Follow(page);
        await trail.RunAsync(rig.Lanyard, () => SignInAndOutAsync(page, origin), () => $"Sample output:{Environment.NewLine}{app.Output}");
    }

    private async Task SignInAndOutAsync(IPage page, string origin)
    {
        // Sign in: the issuer's authorize asks for the organization, then the tenant's login page.
        await page.GotoAsync($"{origin}/login");
        await page.WaitForURLAsync(url => url.StartsWith($"https://{rig.Lanyard.VanityDomain}/login", StringComparison.Ordinal));
        await page.FillAsync("input[name='Input.TenantName']", rig.Lanyard.Bootstrap.DemoTenantName);
        await page.Locator("button[type=submit]").NavigateByClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith($"https://{rig.Lanyard.TenantAuthority("demo")}/login", StringComparison.Ordinal));
        await page.FillAsync("input[name='Input.Identifier']", rig.Lanyard.Bootstrap.DemoUserEmail);
        await page.FillAsync("input[name='Input.Password']", rig.Lanyard.Bootstrap.DemoUserPassword);
        await page.Locator("button[type=submit]").NavigateByClickAsync();
        await page.WaitForURLAsync($"{origin}/");
        var signedIn = await page.TextContentAsync("[data-testid=user]");
        Assert.Contains($"Signed in as {rig.Lanyard.Bootstrap.DemoUserEmail}", signedIn, StringComparison.Ordinal);

        // Sign out: end_session on the issuer, forwarded to the tenant's host, back to the app's callback.
        await page.Locator("a[href='/logout']").NavigateByClickAsync();
        await page.WaitForURLAsync($"{origin}/");
        Assert.NotNull(await page.QuerySelectorAsync("[data-testid=anonymous]"));

        // The Lanyard session is gone too: signing in again asks for the password.
        await page.GotoAsync($"{origin}/login");
        await page.FillAsync("input[name='Input.TenantName']", "demo");
        await page.Locator("button[type=submit]").NavigateByClickAsync();
        await page.WaitForURLAsync(url => url.StartsWith($"https://{rig.Lanyard.TenantAuthority("demo")}/login", StringComparison.Ordinal));
        Assert.NotNull(await page.QuerySelectorAsync("input[name='Input.Password']"));
    }

    private async Task RegisterLogoutUrlAsync(string url)
    {
        await using var scope = rig.Lanyard.ScopeFor(rig.Lanyard.Bootstrap.ApplicationId);
        var db = LanyardFactory.Db(scope);
        var application = await db.Applications.AsTracking().SingleAsync(a => a.Id == rig.Lanyard.Bootstrap.ApplicationId);
        application.LogoutUrls = [.. application.LogoutUrls, url];
        await db.SaveChangesAsync();
    }

    /// <summary>The sample as a process of its own, as a customer runs it.</summary>
    private sealed class SampleProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();

        private SampleProcess(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public static async Task<SampleProcess> StartAsync(SqliteBrowserRig rig, int port, TestClient client)
        {
            // Same configuration (Debug/Release) as this test assembly.
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
            var dll = Path.Combine(BrowserRig.RepositoryRoot(), "samples", "aspnetcore-oidc", "bin", configuration, "net10.0", "aspnetcore-oidc-sample.dll");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(dll)! };
            foreach (var arg in (string[])
                     [
                         dll, "--urls", $"https://localhost:{port}",
                         "--Kestrel:Certificates:Default:Path", rig.CertificatePath,
                         "--Kestrel:Certificates:Default:KeyPath", rig.KeyPath,
                         "--Lanyard:Authority", $"https://{rig.Lanyard.VanityDomain}",
                         "--Lanyard:ClientId", client.Id,
                         "--Lanyard:ClientSecret", client.Secret!,
                         "--Lanyard:DevelopmentCaCertificate", rig.Lanyard.Bootstrap.DevCaCertificatePath!,
                     ])
            {
                start.ArgumentList.Add(arg);
            }

            var sample = new SampleProcess(Process.Start(start)!);
            using var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
            for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
            {
                try
                {
                    await http.GetAsync(new Uri($"https://localhost:{port}/"));
                    return sample;
                }
                catch (HttpRequestException) when (DateTime.UtcNow < deadline && !sample._process.HasExited)
                {
                }
                catch (HttpRequestException e)
                {
                    throw new InvalidOperationException($"The ASP.NET Core sample did not start: {sample.Output}", e);
                }
            }
        }

        public string Output { get { lock (_output) { return _output.ToString(); } } }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Lanyard.Testing;
using Microsoft.Playwright;

namespace Lanyard.EndToEnd.Tests;

/// <summary>
/// Everything a browser test of the sample app needs, started once per test class: Lanyard on Kestrel
/// (HTTPS, development CA), the sample's Node packages, a self-signed certificate for the app's own
/// HTTPS, and Debian's Chromium driven by Playwright. Express apps are started by the tests (they all
/// need port 6001, one at a time) and any still running are stopped here.
/// </summary>
public abstract class BrowserRig(Database database, bool realMail = false) : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private static readonly TimeSpan NpmTimeout = TimeSpan.FromMinutes(5);

    // xunit runs test classes in parallel and each has its own rig; two `npm ci` in one folder
    // delete each other's node_modules, so the install happens once per test process.
    private static readonly Lazy<Task> NodePackages = new(() => EnsureNodePackagesAsync(Path.Combine(RepositoryRoot(), "samples", "express-wristband")));
    private readonly List<ExpressApp> _apps = [];
    private readonly string _certificateDirectory = Directory.CreateTempSubdirectory("lanyard-e2e-tls-").FullName;
    private IPlaywright? _playwright;

    private readonly int? _smtpPort = realMail ? ServerProcess.FreePort() : null;

    public KestrelLanyard Lanyard => _lanyard ??= new KestrelLanyard(database, _smtpPort);

    private KestrelLanyard? _lanyard;

    /// <summary>The real SMTP server Lanyard delivers to, when this rig was made with real mail.</summary>
    public SmtpMailbox? Mailbox { get; private set; }

    public IBrowser Browser { get; private set; } = null!;

    public string SampleDirectory { get; } = Path.Combine(RepositoryRoot(), "samples", "express-wristband");

    public string CertificatePath => Path.Combine(_certificateDirectory, "app.crt");

    public string KeyPath => Path.Combine(_certificateDirectory, "app.key");

    public async ValueTask InitializeAsync()
    {
        if (_smtpPort is { } smtpPort)
        {
            Mailbox = await SmtpMailbox.StartAsync(port: smtpPort);
        }

        await Lanyard.InitializeAsync();
        Lanyard.RequireDatabase();
        await Task.WhenAll(Lanyard.StartKestrelAsync(), NodePackages.Value, Task.Run(WriteAppCertificate));

        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is missing at {ChromiumPath}: install Debian's 'chromium' package (./test.sh does).");
        }

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
        });
    }

    /// <summary>Starts the sample app with the environment its README documents; stopped with this fixture at the latest.</summary>
    public async Task<ExpressApp> StartAppAsync(IReadOnlyDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>(settings)
        {
            ["LANYARD_VANITY_DOMAIN"] = Lanyard.VanityDomain,
            ["LOGIN_STATE_SECRET"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            ["TLS_CERT_FILE"] = CertificatePath,
            ["TLS_KEY_FILE"] = KeyPath,
            ["NODE_EXTRA_CA_CERTS"] = Lanyard.Bootstrap.DevCaCertificatePath ?? throw new InvalidOperationException("Lanyard wrote no development CA."),
        };
        var app = await ExpressApp.StartAsync(SampleDirectory, environment);
        lock (_apps)
        {
            _apps.Add(app);
        }

        return app;
    }

    public async ValueTask DisposeAsync()
    {
        List<ExpressApp> apps;
        lock (_apps)
        {
            apps = [.. _apps];
        }

        foreach (var app in apps)
        {
            await app.DisposeAsync();
        }

        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Lanyard.DisposeAsync();
        if (Mailbox is not null)
        {
            await Mailbox.DisposeAsync();
        }

        Directory.Delete(_certificateDirectory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>A clean clone has no node_modules: install exactly what package-lock.json pins.</summary>
    private static async Task EnsureNodePackagesAsync(string sampleDirectory)
    {
        if (Directory.Exists(Path.Combine(sampleDirectory, "node_modules", "@wristband", "express-auth")))
        {
            return;
        }

        var start = new ProcessStartInfo("npm") { WorkingDirectory = sampleDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["ci", "--no-audit", "--no-fund"])
        {
            start.ArgumentList.Add(arg);
        }

        using var npm = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
        var stdout = npm.StandardOutput.ReadToEndAsync();
        var stderr = npm.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(NpmTimeout);
        await npm.WaitForExitAsync(timeout.Token);
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci failed in {sampleDirectory} (exit {npm.ExitCode}):{Environment.NewLine}{await stdout}{await stderr}");
        }
    }

    /// <summary>The app's own HTTPS certificate: self-signed, for localhost and the tenant subdomains under app.localhost.</summary>
    private void WriteAppCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName("*.app.localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(KeyPath, key.ExportPkcs8PrivateKeyPem(), System.Text.Encoding.ASCII);
    }

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Lanyard.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Lanyard.slnx above {AppContext.BaseDirectory}.");
    }
}

public sealed class SqliteBrowserRig() : BrowserRig(Database.Sqlite);

public sealed class PostgresBrowserRig() : BrowserRig(Database.Postgres);

/// <summary>Lanyard delivering its email over SMTP to a real SMTP server process on loopback.</summary>
public sealed class MailBrowserRig() : BrowserRig(Database.Sqlite, realMail: true);

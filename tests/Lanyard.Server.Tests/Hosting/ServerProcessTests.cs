using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Hosting;

/// <summary>The server executable as an operator runs it: exit codes, messages, verbs and development HTTPS.</summary>
public sealed class ServerProcessTests : IDisposable
{
    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(60);
    private readonly string _workDir = Directory.CreateTempSubdirectory("lanyard-proc-").FullName;

    public void Dispose() => Directory.Delete(_workDir, recursive: true);

    [Theory]
    [InlineData("Lanyard__Database__Provider", "Oracle", "Lanyard:Database:Provider = 'Oracle' is not valid")]
    [InlineData("Lanyard__Endpoints__HttpsPort", "70000", "Lanyard:Endpoints:HttpsPort = '70000' is not valid")]
    [InlineData("Lanyard__Application__VanityDomain", "https://auth.example.com/", "Lanyard:Application:VanityDomain = 'https://auth.example.com/' is not valid")]
    [InlineData("Lanyard__Application__TenantHostStyle", "_", "Lanyard:Application:TenantHostStyle = '_' is not valid")]
    [InlineData("Lanyard__Database__AutoMigrate", "sometimes", "Lanyard:Database:AutoMigrate = 'sometimes' is not valid")]
    [InlineData("Lanyard__Secrets__MasterKey", "not base64!", "Lanyard:Secrets:MasterKey is not valid base64")]
    public async Task Invalid_setting_stops_the_server_naming_the_key_and_value(string variable, string value, string expected)
    {
        await using var server = ServerProcess.Start(_workDir, new Dictionary<string, string> { [variable] = value });

        var code = await server.WaitForExitAsync(Exit);

        Assert.Equal(2, code);
        Assert.Contains(expected, server.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_workDir, "data", "lanyard.db")), "nothing is created before the configuration is valid");
    }

    [Fact]
    public async Task An_invalid_PostgreSQL_connection_string_stops_the_server_without_echoing_it()
    {
        await using var server = ServerProcess.Start(_workDir, new Dictionary<string, string>
        {
            ["Lanyard__Database__Provider"] = "Postgres",
            ["Lanyard__Database__ConnectionString"] = "Host=db;Password=hunter2-secret;Frobnicate=yes",
        });

        Assert.Equal(2, await server.WaitForExitAsync(Exit));
        Assert.Contains("Lanyard:Database:ConnectionString is not a valid PostgreSQL connection string", server.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", server.StandardError + server.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_invalid_setting_is_reported_in_one_run()
    {
        await using var server = ServerProcess.Start(_workDir, new Dictionary<string, string>
        {
            ["Lanyard__Database__Provider"] = "Postgres",
            ["Lanyard__Endpoints__HttpPort"] = "-1",
        });

        Assert.Equal(2, await server.WaitForExitAsync(Exit));
        Assert.Contains("Lanyard:Database:ConnectionString is required", server.StandardError, StringComparison.Ordinal);
        Assert.Contains("Lanyard:Endpoints:HttpPort = '-1'", server.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Production_requires_a_master_key_and_an_admin_secret_never_generating_one()
    {
        var production = new Dictionary<string, string> { ["DOTNET_ENVIRONMENT"] = "Production" };
        await using (var noKey = ServerProcess.Start(_workDir, production))
        {
            Assert.Equal(2, await noKey.WaitForExitAsync(Exit));
            Assert.Contains("Lanyard:Secrets:MasterKey is required outside development", noKey.StandardError, StringComparison.Ordinal);
        }

        production["Lanyard__Secrets__MasterKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)i).ToArray());
        production["Lanyard__Endpoints__HttpPort"] = ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using (var migrate = ServerProcess.Start(_workDir, production, "migrate"))
        {
            Assert.Equal(0, await migrate.WaitForExitAsync(Exit));
        }

        await using var noSecret = ServerProcess.Start(_workDir, production);
        Assert.Equal(2, await noSecret.WaitForExitAsync(Exit));
        Assert.Contains("Lanyard:Bootstrap:AdminClientSecret is required on first run outside development", noSecret.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_workDir, "data", "bootstrap.json")));
    }

    [Fact]
    public async Task Production_refuses_a_stale_schema_until_the_migrate_verb_has_run()
    {
        var production = new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Lanyard__Secrets__MasterKey"] = Convert.ToBase64String(new byte[32]),
            ["Lanyard__Bootstrap__AdminClientSecret"] = new string('s', 40),
            ["Lanyard__Endpoints__HttpPort"] = ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        await using (var stale = ServerProcess.Start(_workDir, production))
        {
            Assert.Equal(3, await stale.WaitForExitAsync(Exit));
            Assert.Contains("Run the server with the 'migrate' verb", stale.StandardError, StringComparison.Ordinal);
            // Said once by the host's start and once on standard error; the workers waiting for the database stop with the
            // server instead of each logging the same reason as a failure of their own.
            var output = stale.StandardOutput + stale.StandardError;
            Assert.DoesNotContain("BackgroundService failed", output, StringComparison.Ordinal);
            Assert.DoesNotContain("data-protection key ring", output, StringComparison.Ordinal);
        }

        await using (var migrate = ServerProcess.Start(_workDir, production, "migrate"))
        {
            Assert.Equal(0, await migrate.WaitForExitAsync(Exit));
            Assert.Contains("migration(s)", migrate.StandardOutput, StringComparison.Ordinal);
        }

        await using var serving = ServerProcess.Start(_workDir, production);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{production["Lanyard__Endpoints__HttpPort"]}") };
        Assert.Equal(HttpStatusCode.OK, await PollAsync(http, "/readyz"));
        Assert.False(File.Exists(Path.Combine(_workDir, "data", "bootstrap.json")), "no demo data, so no generated secrets, outside development");
    }

    [Fact]
    public async Task Development_first_run_serves_https_for_application_and_tenant_hosts_with_the_dev_ca()
    {
        var https = ServerProcess.FreePort();
        var env = new Dictionary<string, string>
        {
            ["Lanyard__Endpoints__HttpPort"] = ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Lanyard__Endpoints__HttpsPort"] = https.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var server = ServerProcess.Start(_workDir, env);
        var bootstrapPath = Path.Combine(_workDir, "data", "bootstrap.json");
        await WaitForFileAsync(bootstrapPath, server);
        using var bootstrap = JsonDocument.Parse(await File.ReadAllTextAsync(bootstrapPath));
        var vanity = bootstrap.RootElement.GetProperty("applicationVanityDomain").GetString();
        var caPath = bootstrap.RootElement.GetProperty("devCaCertificatePath").GetString()!;

        Assert.Equal($"auth.localhost:{https}", vanity);
        Assert.Equal($"https://auth.localhost:{https}", bootstrap.RootElement.GetProperty("httpsUrl").GetString());
        Assert.True(File.Exists(Path.Combine(_workDir, "data", "lanyard.db")));

        using var client = TrustingOnly(caPath);
        Assert.Equal(HttpStatusCode.OK, await PollAsync(client, $"https://{vanity}/healthz"));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"https://{vanity}/readyz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"https://demo-auth.localhost:{https}/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"https://nosuch-auth.localhost:{https}/anything")).StatusCode);

        using var untrusting = TrustingOnly(caPath: null);
        await Assert.ThrowsAsync<HttpRequestException>(() => untrusting.GetAsync($"https://{vanity}/healthz"));
    }

    [Fact]
    public async Task The_ports_open_while_a_first_start_prepares_the_database_and_readyz_answers_503_meanwhile()
    {
        // A load balancer must see "not ready", not a dead node, during a migration. Data protection's start-up load
        // of its key ring (which waits for the database) once held the host's start, and the ports stayed closed.
        var port = ServerProcess.FreePort();
        await using var server = ServerProcess.Start(_workDir, new Dictionary<string, string>
        {
            ["Lanyard__Endpoints__HttpPort"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Lanyard__Endpoints__HttpsPort"] = ServerProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var seen = new List<HttpStatusCode>();

        Assert.Equal(HttpStatusCode.OK, await PollAsync(client, $"http://127.0.0.1:{port}/readyz", server, seen));
        Assert.Contains(HttpStatusCode.ServiceUnavailable, seen);
    }

    [Fact]
    public async Task An_operator_certificate_in_Kestrel_Endpoints_serves_https()
    {
        // The host is built without the HTTPS configuration loader by default (the slim builder); the
        // operator guide's "serve HTTPS with your own certificate" depends on it being added back.
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=auth.localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("auth.localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pfxPath = Path.Combine(_workDir, "operator.pfx");
        var cerPath = Path.Combine(_workDir, "operator.cer");
        await File.WriteAllBytesAsync(pfxPath, certificate.Export(X509ContentType.Pfx, "pfx-password"));
        await File.WriteAllBytesAsync(cerPath, certificate.Export(X509ContentType.Cert));
        var port = ServerProcess.FreePort();

        await using var server = ServerProcess.Start(_workDir, new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{port}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = pfxPath,
            ["Kestrel__Endpoints__Https__Certificate__Password"] = "pfx-password",
        });

        using var client = TrustingOnly(cerPath);
        Assert.Equal(HttpStatusCode.OK, await PollAsync(client, $"https://auth.localhost:{port}/healthz", server));
    }

    [Fact]
    public async Task Clients_create_registers_a_client_and_prints_its_secret_once()
    {
        await using var server = ServerProcess.Start(_workDir, new Dictionary<string, string>(),
            "clients", "create", "--type", "BACKEND_SERVER", "--name", "Quickstart", "--redirect-uri", "https://{tenant_domain}.app.localhost/cb");

        Assert.Equal(0, await server.WaitForExitAsync(Exit));
        var line = server.StandardOutput.Split('\n').Single(l => l.StartsWith("{\"clientId\"", StringComparison.Ordinal));
        using var json = JsonDocument.Parse(line);
        Assert.Matches("^[a-z2-7]{26}$", json.RootElement.GetProperty("clientId").GetString()!);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", json.RootElement.GetProperty("clientSecret").GetString()!);
    }

    [Fact]
    public async Task Clients_create_refuses_dangerous_redirect_uris_with_every_reason()
    {
        await using var server = ServerProcess.Start(_workDir, new Dictionary<string, string>(),
            "clients", "create", "--type", "SPA", "--name", "x", "--redirect-uri", "JaVaScRiPt:alert(1)", "--redirect-uri", "https://app.example/cb#f");

        Assert.Equal(2, await server.WaitForExitAsync(Exit));
        Assert.Contains("'JaVaScRiPt:alert(1)' must use https", server.StandardError, StringComparison.Ordinal);
        Assert.Contains("must not contain a fragment", server.StandardError, StringComparison.Ordinal);
    }

    /// <summary>
    /// A client that maps every <c>*.localhost</c> name to loopback (as browsers do) and trusts only the
    /// given CA, so a certificate for the wrong name or from another issuer fails the request.
    /// </summary>
    private static HttpClient TrustingOnly(string? caPath)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        if (caPath is not null)
        {
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(caPath));
            handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        }

        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Polls until the server answers something other than 503; every answer goes to <paramref name="seen"/>.</summary>
    private static async Task<HttpStatusCode> PollAsync(HttpClient client, string url, ServerProcess? server = null, List<HttpStatusCode>? seen = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            Assert.False(server?.HasExited ?? false, $"server exited early: {server?.StandardError}");
            try
            {
                // The server listens while it still prepares the database, answering /readyz 503 meanwhile.
                var status = (await client.GetAsync(url)).StatusCode;
                seen?.Add(status);
                if (status != HttpStatusCode.ServiceUnavailable || DateTime.UtcNow >= deadline)
                {
                    return status;
                }

                await Task.Delay(100);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task WaitForFileAsync(string path, ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(path) || new FileInfo(path).Length == 0)
        {
            Assert.False(server.HasExited, $"server exited early: {server.StandardError}");
            Assert.True(DateTime.UtcNow < deadline, "bootstrap.json did not appear");
            await Task.Delay(100);
        }

        await Task.Delay(200); // the writer finishes the file after creating it
    }
}

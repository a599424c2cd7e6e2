using Lanyard.Server.Features.Bootstrap;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Lanyard.Testing;

public enum Database
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The server in process, over a fresh database of its own (one per test class, as a class fixture),
/// seeded by the real first run in development mode. Time is a <see cref="FakeTimeProvider"/>, email is
/// captured, and clients address any host: tenant hosts resolve through the real tenancy middleware.
/// </summary>
public abstract class LanyardFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string ApplicationHost = "auth.localhost";

    /// <summary>
    /// Test-only request header: the in-process TestServer leaves <c>Connection.RemoteIpAddress</c> null, so a test
    /// that needs a client address (per-IP throttling) names one here. Only the test kit reads it; the server never does.
    /// </summary>
    public const string RemoteAddressHeader = "X-Test-Remote-Address";
    private static readonly System.Text.Json.JsonSerializerOptions WebJson = new(System.Text.Json.JsonSerializerDefaults.Web);
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "lanyard-test-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly Dictionary<string, string?> _settings = new(StringComparer.Ordinal);
    private PostgresCluster? _cluster;

    /// <summary>The server's last warnings and errors (and Lanyard's own information lines, when <see cref="LogLanyardInformation"/>), for failure messages.</summary>
    public RecentLogs Logs { get; } = new();

    /// <summary>
    /// True: <see cref="Logs"/> also keeps Lanyard's information lines (login succeeded, session started…), so a browser
    /// test that times out can tell "the server never saw the form" from "the server answered something unexpected".
    /// </summary>
    public bool LogLanyardInformation { get; protected set; }
    private string? _connectionString;

    protected LanyardFactory(Database database) => Database = database;

    public Database Database { get; }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    internal CapturingEmailSender Emails { get; } = new();

    /// <summary>False: the server keeps its configured sender (SMTP to a <see cref="SmtpMailbox"/>) instead of <see cref="Emails"/>.</summary>
    public bool CaptureEmail { get; protected set; } = true;

    private readonly Lock _startLock = new();
    private BootstrapValues? _bootstrap;

    /// <summary>What the first run wrote; reading it starts the server, so no test depends on another having started it.</summary>
    internal BootstrapValues Bootstrap
    {
        get
        {
            EnsureStarted();
            return _bootstrap!;
        }
    }

    public string DataDirectory => _dataDirectory;

    public string ConnectionString => _connectionString!;

    /// <summary>Host of a tenant in the default (dash) style: <c>{tenant}-auth.localhost</c>.</summary>
    public static string TenantHost(string tenantName) => $"{tenantName}-{ApplicationHost}";

    /// <summary>Overrides a configuration key for this server; call before the first request.</summary>
    public LanyardFactory With(string key, string? value)
    {
        _settings[key] = value;
        return this;
    }

    public async ValueTask InitializeAsync()
    {
        if (Database == Database.Postgres)
        {
            _cluster = await PostgresCluster.GetAsync();
            if (_cluster is null)
            {
                return; // Each test skips itself, with the reason, through RequireDatabase().
            }

            _connectionString = await _cluster.CreateDatabaseAsync();
        }
        else
        {
            _connectionString = $"Data Source={Path.Combine(_dataDirectory, "lanyard.db")}";
        }
    }

    /// <summary>Starts the server (migrations and first run included) and reads what the first run wrote.</summary>
    public Task StartAsync()
    {
        EnsureStarted();
        return Task.CompletedTask;
    }

    private void EnsureStarted()
    {
        RequireDatabase();
        lock (_startLock)
        {
            if (_bootstrap is not null)
            {
                return;
            }

            StartServer(); // TestServer, or Kestrel after UseKestrel(): the Server property is TestServer-only
            var json = File.ReadAllText(Path.Combine(_dataDirectory, "bootstrap.json"));
            _bootstrap = System.Text.Json.JsonSerializer.Deserialize<BootstrapValues>(json, WebJson)!;
        }
    }

    public void RequireDatabase()
    {
        if (Database == Database.Postgres && _cluster is null)
        {
            Assert.Skip(PostgresCluster.UnavailableReason ?? "PostgreSQL is not available.");
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.UseSetting("Lanyard:DataDirectory", _dataDirectory);
        builder.UseSetting("Lanyard:Database:Provider", Database.ToString());
        builder.UseSetting("Lanyard:Database:ConnectionString", _connectionString);
        builder.UseSetting("Lanyard:Application:VanityDomain", ApplicationHost);
        builder.UseSetting("Lanyard:Passwords:Pbkdf2Iterations", "1000");
        // Tests wait for the outbox and the deletion worker; the start delay only matters to a cold server's first requests.
        builder.UseSetting("Lanyard:Workers:StartDelayMilliseconds", "0");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging =>
        {
            logging.ClearProviders().SetMinimumLevel(LogLevel.Warning).AddProvider(Logs);
            if (LogLanyardInformation)
            {
                logging.AddFilter("Lanyard", LogLevel.Information);
            }
        });
        builder.ConfigureTestServices(services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(Time);
            if (CaptureEmail)
            {
                services.RemoveAll<IEmailSender>();
                services.AddSingleton<IEmailSender>(Emails);
            }

            services.AddSingleton<IStartupFilter, ScopeProbe>();
            services.AddSingleton<IStartupFilter, RemoteAddressFromHeader>();
        });
    }

    /// <summary>An HTTP client for one host, with a cookie jar, that does not follow redirects.</summary>
    public HttpClient ClientFor(string host, bool https = true)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions
        {
            BaseAddress = new Uri($"{(https ? "https" : "http")}://{host}/"),
            AllowAutoRedirect = false,
            HandleCookies = true,
        });
        return client;
    }

    /// <summary>A DI scope acting for an application and optionally one tenant, as a request on its host would.</summary>
    internal AsyncServiceScope ScopeFor(string applicationId, string? tenantId = null)
    {
        var scope = Services.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<TenantContext>().Enter(applicationId, tenantId);
        return scope;
    }

    internal static LanyardDbContext Db(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<LanyardDbContext>();

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_cluster is not null && _connectionString is not null)
        {
            await _cluster.DropDatabaseAsync(_connectionString);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// <c>GET /_test/scope</c>, appended after the whole pipeline: answers with what the tenancy middleware
    /// resolved for the request's host, so tests observe host resolution through HTTP.
    /// </summary>
    private sealed class ScopeProbe : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Run(async context =>
            {
                if (context.Request.Path != "/_test/scope")
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }

                var scope = context.RequestServices.GetRequiredService<ITenantContext>();
                await context.Response.WriteAsJsonAsync(new { scope.ApplicationId, scope.TenantId });
            });
        };
    }
}

/// <summary>Sets the connection's remote address from <see cref="LanyardFactory.RemoteAddressHeader"/>, ahead of the whole pipeline.</summary>
internal sealed class RemoteAddressFromHeader : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, following) =>
        {
            if (context.Request.Headers.TryGetValue(LanyardFactory.RemoteAddressHeader, out var value)
                && System.Net.IPAddress.TryParse(value.ToString(), out var address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            return following(context);
        });
        next(app);
    };
}

public sealed class SqliteLanyard() : LanyardFactory(Database.Sqlite);

public sealed class PostgresLanyard() : LanyardFactory(Database.Postgres);

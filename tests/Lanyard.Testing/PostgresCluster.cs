using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Lanyard.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for one test run, made with the installed server binaries
/// (<c>initdb</c>, <c>pg_ctl</c>) in a temp folder and removed when the run ends. Each test class gets its
/// own database in it. <c>LANYARD_TEST_POSTGRES</c> (an admin connection string) points the suite at an
/// existing server instead. When <c>CI=true</c> a missing PostgreSQL is a failure, never a skip.
/// </summary>
public sealed class PostgresCluster
{
    private static readonly Lazy<Task<PostgresCluster?>> Shared = new(StartAsync);
    private readonly string? _directory;

    private PostgresCluster(string adminConnectionString, string? directory)
    {
        AdminConnectionString = adminConnectionString;
        _directory = directory;
    }

    public string AdminConnectionString { get; }

    public static string? UnavailableReason { get; private set; }

    /// <summary>The run's cluster, or null (with <see cref="UnavailableReason"/>) where PostgreSQL is missing outside CI.</summary>
    public static Task<PostgresCluster?> GetAsync() => Shared.Value;

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "lanyard_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<PostgresCluster?> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("LANYARD_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new PostgresCluster(external, null);
        }

        var bin = FindBinDirectory();
        if (bin is null)
        {
            UnavailableReason = "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException(UnavailableReason + " CI=true: PostgreSQL tests must run. Run ./test.sh, which installs it.");
            }

            return null;
        }

        var directory = Path.Combine(Path.GetTempPath(), "lanyard-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var data = Path.Combine(directory, "data");
        Directory.CreateDirectory(directory);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // PostgreSQL refuses to run as root; the cluster belongs to the postgres account instead.
            await RunAsync("chown", $"postgres: {directory}", null);
        }

        var port = FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), $"-D {data} -U lanyard --auth=trust -E UTF8 --no-sync --no-instructions", asRoot ? "postgres" : null);
        var options = $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300";
        await RunAsync(Path.Combine(bin, "pg_ctl"), $"-D {data} -l {Path.Combine(directory, "server.log")} -o \"{options}\" -w -t 60 start", asRoot ? "postgres" : null);

        var cluster = new PostgresCluster($"Host=127.0.0.1;Port={port};Username=lanyard;Database=postgres;Include Error Detail=true", directory);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop(bin, data, asRoot);
        return cluster;
    }

    private void Stop(string bin, string data, bool asRoot)
    {
        try
        {
            RunAsync(Path.Combine(bin, "pg_ctl"), $"-D {data} -m immediate stop", asRoot ? "postgres" : null).GetAwaiter().GetResult();
        }
        finally
        {
            if (_directory is not null)
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
    }

    private static string? FindBinDirectory()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "pg_ctl");
            if (File.Exists(candidate) && File.Exists(Path.Combine(dir, "initdb")))
            {
                // Follow symlinks so that initdb finds its share/ files next to the real binary.
                var resolved = new FileInfo(candidate).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? candidate;
                return Path.GetDirectoryName(resolved);
            }
        }

        const string debianRoot = "/usr/lib/postgresql";
        return Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot).Select(v => Path.Combine(v, "bin")).Where(b => File.Exists(Path.Combine(b, "pg_ctl"))).Order().LastOrDefault()
            : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string arguments, string? asUser)
    {
        var start = asUser is null
            ? new ProcessStartInfo(file, arguments)
            : new ProcessStartInfo("runuser", $"-u {asUser} -- {file} {arguments}");
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {arguments} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }
}

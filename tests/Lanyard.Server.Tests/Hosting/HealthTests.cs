using System.Net;
using Lanyard.Testing;

namespace Lanyard.Server.Tests.Hosting;

/// <summary>Each test owns its server: the readiness tests break the database on purpose.</summary>
public sealed class HealthTests
{
    [Theory]
    [InlineData(Database.Sqlite)]
    [InlineData(Database.Postgres)]
    public async Task Healthz_and_readyz_answer_200_while_the_database_is_reachable(Database database)
    {
        await using var factory = await StartedAsync(database);
        var client = factory.ClientFor(LanyardFactory.ApplicationHost);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);
    }

    [Theory]
    [InlineData(Database.Sqlite)]
    [InlineData(Database.Postgres)]
    public async Task A_first_start_on_an_empty_database_logs_no_error(Database database)
    {
        // An operator reads an error line as something to act on. On PostgreSQL, EF Core's provider reads the
        // migration history before the table exists and logs the failure it then handles (npgsql/efcore.pg#3407).
        await using var factory = await StartedAsync(database);
        var client = factory.ClientFor(LanyardFactory.ApplicationHost);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        Assert.Empty(factory.Logs.Errors);
    }

    [Fact]
    public async Task Readyz_answers_503_when_the_sqlite_file_is_gone()
    {
        await using var factory = await StartedAsync(Database.Sqlite);
        var client = factory.ClientFor(LanyardFactory.ApplicationHost);
        var file = Path.Combine(factory.DataDirectory, "lanyard.db");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        // Permissions do not stop root (CI runs as root), and pooled connections keep the old inode open and
        // may write pages back into it, so the file is replaced by a directory: no process can open it as a
        // database, and nothing can recreate it behind the probe's back.
        File.Delete(file);
        File.Delete(file + "-wal");
        File.Delete(file + "-shm");
        Directory.CreateDirectory(file);

        var ready = await client.GetAsync("/readyz");
        var alive = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Readyz_answers_503_when_the_postgres_database_is_gone()
    {
        await using var factory = await StartedAsync(Database.Postgres);
        var client = factory.ClientFor(LanyardFactory.ApplicationHost);

        var cluster = (await PostgresCluster.GetAsync())!;
        await cluster.DropDatabaseAsync(factory.ConnectionString);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
    }

    private static async Task<LanyardFactory> StartedAsync(Database database)
    {
        LanyardFactory factory = database == Database.Sqlite ? new SqliteLanyard() : new PostgresLanyard();
        await factory.InitializeAsync();
        await factory.StartAsync();
        return factory;
    }
}

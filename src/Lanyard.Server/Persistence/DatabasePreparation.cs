using Lanyard.Server.Features.Bootstrap;
using Lanyard.Server.Hosting;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Persistence;

/// <summary>The schema could not be brought up to date, or a new database could not be seeded; the server must not serve.</summary>
internal sealed class DatabaseNotReadyException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Brings the schema up to date (or refuses a stale one) and seeds a new database, as a hosted service that starts
/// concurrently with the web server (<see cref="HostOptions.ServicesStartConcurrently"/>): the EF Core model is
/// built while Kestrel binds its ports and loads its certificates. The host counts as started only when this is
/// done, and <see cref="DatabaseGate"/> holds anything that reaches the database earlier.
/// </summary>
internal sealed class DatabasePreparation(
    ServerSettings settings, DatabaseMigrator migrator, FirstRun firstRun, BootstrapFile bootstrapFile, DatabaseGate gate) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            // On a thread of its own: SQLite's "async" calls complete synchronously, and the host starts the next service
            // only when this method first yields.
            await Task.Run(() => PrepareAsync(settings, migrator, firstRun, bootstrapFile, cancellationToken), cancellationToken);
            gate.Open();
        }
        catch (Exception e)
        {
            gate.Fail(e);
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Builds EF Core's model and its query pipeline on another core while the host maps its endpoints. They are
    /// most of the database preparation, the longest step of a start; built beside the mapping they save about
    /// 0.2 s of 1.6 s (docs/performance.md). Nothing here touches the database.
    /// </summary>
    public static Task WarmUpAsync(IServiceProvider services) => Task.Run(() =>
    {
        try
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
            _ = db.Model.GetRelationalModel();
            _ = db.Applications.Where(a => a.Id == "").Select(a => a.Id).ToQueryString();
        }
#pragma warning disable CA1031 // A failure here is the preparation's to report: it builds the same model again and fails with the cause.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    });

    /// <summary>Also run on its own before the command-line verbs that work on the database.</summary>
    public static async Task PrepareAsync(
        ServerSettings settings, DatabaseMigrator migrator, FirstRun firstRun, BootstrapFile bootstrapFile, CancellationToken cancellationToken)
    {
        if (settings.AutoMigrate)
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        else if (await migrator.PendingAsync(cancellationToken) is { Count: > 0 } pending)
        {
            throw new DatabaseNotReadyException(
                $"The database schema is behind this server ({pending.Count} pending migration(s): {string.Join(", ", pending)}). " +
                "Run the server with the 'migrate' verb first, or set Lanyard:Database:AutoMigrate=true.",
                ExitCodes.SchemaOutOfDate);
        }

        BootstrapValues? values;
        try
        {
            values = await firstRun.RunAsync(cancellationToken);
        }
        catch (InvalidSettingsException e)
        {
            throw new DatabaseNotReadyException(e.Message, ExitCodes.InvalidConfiguration);
        }

        if (values is not null && !Console.IsOutputRedirected)
        {
            await Console.Out.WriteLineAsync(WelcomeBanner.Render(values, bootstrapFile.Path));
        }
    }
}

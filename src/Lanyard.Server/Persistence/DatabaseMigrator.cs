using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Lanyard.Server.Persistence;

/// <summary>
/// Applies migrations: on start-up in development, and through the explicit <c>migrate</c> verb in
/// production, where a server with pending migrations refuses to start rather than run on an old schema.
/// </summary>
internal sealed class DatabaseMigrator(IServiceScopeFactory scopes, ILogger<DatabaseMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
        if (await LacksHistoryTableAsync(db, cancellationToken))
        {
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
        }

        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0)
        {
            Log.SchemaUpToDate(logger);
            return;
        }

        await db.Database.MigrateAsync(cancellationToken);
        Log.MigrationsApplied(logger, pending.Count, pending);
    }

    public async Task<IReadOnlyList<string>> PendingAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<LanyardDbContext>();
        return await LacksHistoryTableAsync(db, cancellationToken)
            ? [.. db.Database.GetMigrations()]
            : [.. await db.Database.GetPendingMigrationsAsync(cancellationToken)];
    }

    /// <summary>
    /// True on a PostgreSQL database without the migration history table. EF Core's PostgreSQL provider does not
    /// check for the table: it reads it and handles the "relation does not exist" failure, which it has already
    /// logged as an error (npgsql/efcore.pg#3407) — two error lines on every first start that ask nothing of the
    /// operator. Resolved through <c>search_path</c>, as the provider's own unqualified reads are.
    /// </summary>
    private static async Task<bool> LacksHistoryTableAsync(LanyardDbContext db, CancellationToken cancellationToken)
    {
        if (db is not PostgresLanyardDbContext)
        {
            return false;
        }

        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT to_regclass('{DatabaseSetup.HistoryTable}') IS NULL";
            return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Database schema is up to date")]
    public static partial void SchemaUpToDate(ILogger logger);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Applied {Count} migration(s): {Migrations}")]
    public static partial void MigrationsApplied(ILogger logger, int count, IReadOnlyList<string> migrations);
}

using Microsoft.EntityFrameworkCore;

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
        return [.. await db.Database.GetPendingMigrationsAsync(cancellationToken)];
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Database schema is up to date")]
    public static partial void SchemaUpToDate(ILogger logger);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information, Message = "Applied {Count} migration(s): {Migrations}")]
    public static partial void MigrationsApplied(ILogger logger, int count, IReadOnlyList<string> migrations);
}

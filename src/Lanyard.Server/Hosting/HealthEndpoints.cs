using Lanyard.Server.Persistence;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Hosting;

/// <summary>
/// <c>/healthz</c>: the process is alive. <c>/readyz</c>: the database answers a real read within two
/// seconds. Both are answered on any host and reveal nothing but a status word.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(2);

    public static void MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", () => TypedResults.Text("ok")).ExcludeFromDescription();
        routes.MapGet("/readyz", ReadyAsync).ExcludeFromDescription();
    }

    private static async Task<IResult> ReadyAsync(
        LanyardDbContext db, ServerSettings settings, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadinessTimeout);
        try
        {
            if (settings.DatabaseProvider == DatabaseProvider.Sqlite)
            {
                await ProbeSqliteAsync(settings.ConnectionString, timeout.Token);
            }
            else
            {
                await db.Database.ExecuteSqlRawAsync("SELECT 1", timeout.Token);
            }

            return TypedResults.Text("ready");
        }
        catch (Exception e) when (e is OperationCanceledException or System.Data.Common.DbException or IOException or InvalidOperationException)
        {
            Log.NotReady(loggers.CreateLogger(typeof(HealthEndpoints)), e.GetType().Name, e.Message);
            return TypedResults.Text("not ready", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    // A pooled connection keeps its file handle open and would go on answering after the file became
    // unreadable, so the probe opens its own connection and reads a table of ours.
    private static async Task ProbeSqliteAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false, Mode = SqliteOpenMode.ReadOnly };
        await using var connection = new SqliteConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {DatabaseSetup.HistoryTable}";
        await command.ExecuteScalarAsync(cancellationToken);
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Readiness probe failed: database not reachable ({ErrorType}: {ErrorMessage})")]
    public static partial void NotReady(ILogger logger, string errorType, string errorMessage);
}

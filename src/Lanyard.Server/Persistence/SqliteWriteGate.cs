using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Lanyard.Server.Persistence;

/// <summary>
/// Queues this process's SQLite transactions one at a time, without blocking a thread while they wait.
/// SQLite has a single writer: a second connection that tries to write gets <c>SQLITE_BUSY</c>, and
/// Microsoft.Data.Sqlite answers that by putting the thread to sleep and retrying, so under concurrent writes
/// (rotating refresh tokens, logins) requests slept for hundreds of milliseconds while the CPUs idled. Here a
/// transaction waits, asynchronously and in arrival order, until the previous one ends, so it never meets a
/// held write lock from this process. Reads outside transactions are not gated (WAL readers never block).
/// </summary>
/// <remarks>
/// The gate is held from the start of a transaction until its commit or rollback, or, as a backstop, until its
/// connection closes: a transaction disposed without either (after an exception, or a failed commit, which may leave
/// SQLite's lock held until the rollback) ends with its connection. A code path that opened a second transaction on
/// another connection while holding one would wait for itself: the wait is bounded, and ends in an exception that
/// names the cause rather than a hang.
/// </remarks>
internal sealed partial class SqliteWriteGate(ILogger<SqliteWriteGate> logger, TimeSpan? maxWait = null)
    : DbTransactionInterceptor, IDbConnectionInterceptor, IDisposable
{
    /// <summary>A wait this long is worth an operator's attention: some transaction is holding the writer for too long.</summary>
    private static readonly TimeSpan LongWait = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly ConcurrentDictionary<Guid, byte> _holders = new();
    private readonly TimeSpan _maxWait = maxWait ?? TimeSpan.FromSeconds(30);

    public void Dispose() => _writer.Dispose();

    public override InterceptionResult<DbTransaction> TransactionStarting(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result)
    {
        if (!_writer.Wait(0))
        {
            var start = Stopwatch.GetTimestamp();
            if (!_writer.Wait(_maxWait))
            {
                throw TimedOut();
            }

            ReportLongWait(start);
        }

        Hold(eventData.ConnectionId);
        return result;
    }

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(
        DbConnection connection, TransactionStartingEventData eventData, InterceptionResult<DbTransaction> result,
        CancellationToken cancellationToken = default)
    {
        if (!_writer.Wait(0, cancellationToken))
        {
            var start = Stopwatch.GetTimestamp();
            if (!await _writer.WaitAsync(_maxWait, cancellationToken))
            {
                throw TimedOut();
            }

            ReportLongWait(start);
        }

        Hold(eventData.ConnectionId);
        return result;
    }

    public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) =>
        Release(eventData.ConnectionId);

    public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.ConnectionId);
        return Task.CompletedTask;
    }

    public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) =>
        Release(eventData.ConnectionId);

    public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Release(eventData.ConnectionId);
        return Task.CompletedTask;
    }

    public InterceptionResult ConnectionClosing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Release(eventData.ConnectionId);
        return result;
    }

    public ValueTask<InterceptionResult> ConnectionClosingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Release(eventData.ConnectionId);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult ConnectionDisposing(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Release(eventData.ConnectionId);
        return result;
    }

    public ValueTask<InterceptionResult> ConnectionDisposingAsync(DbConnection connection, ConnectionEventData eventData, InterceptionResult result)
    {
        Release(eventData.ConnectionId);
        return ValueTask.FromResult(result);
    }

    private void Hold(Guid connectionId)
    {
        if (!_holders.TryAdd(connectionId, 0))
        {
            _writer.Release();
            throw new InvalidOperationException("A connection began a second SQLite transaction while its first was open.");
        }
    }

    private void Release(Guid connectionId)
    {
        // Several end events can follow one start (a rollback, then the close): only the first lets go.
        if (_holders.TryRemove(connectionId, out _))
        {
            _writer.Release();
        }
    }

    private void ReportLongWait(long start)
    {
        var waited = Stopwatch.GetElapsedTime(start);
        if (waited >= LongWait)
        {
            WriterWaitedLong(logger, (long)waited.TotalMilliseconds);
        }
    }

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning,
        Message = "A SQLite transaction waited {WaitedMs} ms for the database's single writer: another transaction held it that long")]
    private static partial void WriterWaitedLong(ILogger logger, long waitedMs);

    private TimeoutException TimedOut() => new(
        $"No SQLite transaction could start within {_maxWait.TotalSeconds:0} s: another transaction of this process held the " +
        "database's single write lock all that time. Either a request is stuck inside a transaction, or a code path opened " +
        "a second transaction on another connection while holding the first.");
}

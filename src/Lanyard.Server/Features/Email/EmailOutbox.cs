using Lanyard.Server.Common;
using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Email;

/// <summary>
/// Puts emails into the outbox of the current unit of work. Nothing is sent here: the row is saved by the
/// caller's own <c>SaveChangesAsync</c>, inside its transaction, and the worker is woken once it commits.
/// </summary>
internal sealed class EmailOutbox(LanyardDbContext db, TimeProvider time)
{
    public void Enqueue(RenderedEmail email, string to, string? tenantId)
    {
        var now = time.GetUtcNow();
        db.Add(new OutboxMessage
        {
            Id = LanyardId.New(time),
            TenantId = tenantId,
            Type = email.Type,
            ToAddress = to,
            FromName = email.FromName,
            Subject = email.Subject,
            TextBody = email.TextBody,
            HtmlBody = email.HtmlBody,
            CreatedAt = now,
            NextAttemptAt = now,
        });
        db.OutboxPending = true;
    }
}

/// <summary>Wakes the outbox worker when a transaction that added messages has committed, so mail leaves at once instead of at the next poll.</summary>
internal sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _pulse = new(0, 1);

    public void Pulse()
    {
        if (_pulse.CurrentCount == 0)
        {
            try
            {
                _pulse.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another pulse got there first; one wake-up is enough.
            }
        }
    }

    public void Dispose() => _pulse.Dispose();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pulse.WaitAsync(timeout, cancellationToken);
}

/// <summary>
/// Pulses the <see cref="OutboxSignal"/> when a unit of work that enqueued email has committed: after
/// <c>SaveChanges</c> outside an explicit transaction, else after the transaction's commit (before it, the
/// worker could not see the rows yet).
/// </summary>
internal sealed class OutboxCommitInterceptor(OutboxSignal signal) :
    Microsoft.EntityFrameworkCore.Diagnostics.SaveChangesInterceptor, Microsoft.EntityFrameworkCore.Diagnostics.IDbTransactionInterceptor
{
    public override ValueTask<int> SavedChangesAsync(
        Microsoft.EntityFrameworkCore.Diagnostics.SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is LanyardDbContext { OutboxPending: true } db && db.Database.CurrentTransaction is null)
        {
            db.OutboxPending = false;
            signal.Pulse();
        }

        return ValueTask.FromResult(result);
    }

    public Task TransactionCommittedAsync(
        System.Data.Common.DbTransaction transaction, Microsoft.EntityFrameworkCore.Diagnostics.TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        if (eventData.Context is LanyardDbContext { OutboxPending: true } db)
        {
            db.OutboxPending = false;
            signal.Pulse();
        }

        return Task.CompletedTask;
    }
}

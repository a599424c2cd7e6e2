using System.Data.Common;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tenants.Deletion;

/// <summary>
/// Removes every row of one tenant marked <c>DELETE_IN_PROGRESS</c>, table by table (<see cref="TenantRows"/>)
/// in batches, so no statement holds locks on a large tenant for long; the tenant row goes last. Each batch
/// commits on its own: an interrupted deletion simply continues where it stopped.
/// </summary>
internal sealed class TenantDeletion(LanyardDbContext db, TenantContext scope)
{
    /// <summary>Deletes the tenant's rows and then the tenant; returns how many rows went. A tenant not being deleted is left alone.</summary>
    public async Task<long> RunAsync(string applicationId, string tenantId, int batchSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        scope.Enter(applicationId, tenantId);

        // The guard that keeps a live tenant's data safe whatever calls this.
        if (!await db.Tenants.AnyAsync(t => t.Id == tenantId && t.Status == TenantStatus.DeleteInProgress, cancellationToken))
        {
            return 0;
        }

        long deleted = 0;
        foreach (var step in TenantRows.Of(db.Model).Steps)
        {
            int batch;
            do
            {
                batch = await step.DeleteBatchAsync(db, tenantId, batchSize, cancellationToken);
                deleted += batch;
            }
            while (batch == batchSize);
        }

        return deleted + await db.Tenants.Where(t => t.Id == tenantId && t.Status == TenantStatus.DeleteInProgress).ExecuteDeleteAsync(cancellationToken);
    }
}

/// <summary>
/// Runs <see cref="TenantDeletion"/> for every tenant marked for deletion: on start (so a deletion cut short by
/// a restart resumes), when <c>DELETE /tenants/{id}</c> pulses <see cref="TenantDeletionSignal"/>, and every
/// poll interval. Several instances may run it at once: deleting what is already gone deletes nothing.
/// </summary>
internal sealed class TenantDeletionWorker(IServiceScopeFactory scopes, TenantDeletionSignal signal, ILogger<TenantDeletionWorker> logger) : BackgroundService
{
    public const int BatchSize = 500;

    // Housekeeping cadence on the real clock, like the outbox's.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await scopes.WaitForWorkerStartAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunPendingAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is DbException or DbUpdateException or InvalidOperationException)
            {
                Log.DeletionUnavailable(logger, e.GetType().Name);
            }

            try
            {
                await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Deletes every tenant now marked for deletion, one after another.</summary>
    internal async Task RunPendingAsync(CancellationToken cancellationToken)
    {
        List<(string ApplicationId, string TenantId)> pending;
        await using (var scope = scopes.CreateAsyncScope())
        {
            // The worker serves every application: one of the reviewed crossings of the application filter.
            pending = (await scope.ServiceProvider.GetRequiredService<LanyardDbContext>().Tenants
                    .IgnoreQueryFilters([QueryFilters.Application])
                    .Where(t => t.Status == TenantStatus.DeleteInProgress)
                    .Select(t => new { t.ApplicationId, t.Id })
                    .ToListAsync(cancellationToken))
                .ConvertAll(t => (t.ApplicationId, t.Id));
        }

        foreach (var (applicationId, tenantId) in pending)
        {
            Log.DeletionStarted(logger, tenantId, applicationId);
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var rows = await scope.ServiceProvider.GetRequiredService<TenantDeletion>().RunAsync(applicationId, tenantId, BatchSize, cancellationToken);
                Log.TenantDeleted(logger, tenantId, rows);
            }
            catch (Exception e) when (e is DbException or DbUpdateException or InvalidOperationException)
            {
                // One tenant's failure (say a constraint a new table brought) must not stop the others.
                Log.DeletionFailed(logger, tenantId, e.GetType().Name);
            }
        }
    }
}

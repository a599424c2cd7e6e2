namespace Lanyard.Server.Features.Tenants.Deletion;

/// <summary>Wakes the <see cref="TenantDeletionWorker"/> when a tenant was marked for deletion, so it starts at once instead of at the next poll.</summary>
internal sealed class TenantDeletionSignal : IDisposable
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

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _pulse.WaitAsync(timeout, cancellationToken);

    public void Dispose() => _pulse.Dispose();
}

using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tenancy;

/// <summary>
/// Every application, as host resolution needs them on every request. Kept for
/// <see cref="ProtocolSettings.HotRowCacheLifetime"/>; a change saved through this node invalidates it at once
/// (<see cref="HotRowInvalidation"/>). Callers get the shared list and must copy an application before changing it.
/// </summary>
internal sealed class ApplicationDirectory(ServerSettings settings, TimeProvider time)
{
    private readonly ExpiringCache<string, IReadOnlyList<Application>> _cache = new(settings.Protocol.HotRowCacheLifetime, 1, time);

    /// <remarks>Takes the context on demand: a request on an application host must not cost a context while cached.</remarks>
    public async ValueTask<IReadOnlyList<Application>> AllAsync(DbContextOnDemand db, CancellationToken cancellationToken) =>
        await _cache.GetOrLoadAsync("all", db, static async (_, db, ct) => (IReadOnlyList<Application>)await db.Context.Applications.AsNoTracking().ToListAsync(ct), cancellationToken)
        ?? [];

    public void Invalidate() => _cache.Clear();
}

using Lanyard.Server.Common;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Clients;

/// <summary>
/// OAuth clients by id, as every token and authorization request reads them. Kept for
/// <see cref="ProtocolSettings.HotRowCacheLifetime"/>; a change saved through this node (secret rotation, a
/// patch, deletion) invalidates the entry at once, one made on another node shows within the lifetime
/// (ADR 0009). The instances are shared between requests: read them, never change or attach them.
/// </summary>
internal sealed class ClientDirectory(ServerSettings settings, TimeProvider time)
{
    private const int Capacity = 10_000;
    private readonly ExpiringCache<(string ApplicationId, string ClientId), OAuthClient> _cache = new(settings.Protocol.HotRowCacheLifetime, Capacity, time);

    /// <summary>The client in the application the caller's scope has entered; null when it does not exist there.</summary>
    /// <remarks>Takes the context on demand: a cached client must not cost the request a context.</remarks>
    public ValueTask<OAuthClient?> FindAsync(DbContextOnDemand db, string applicationId, string clientId, CancellationToken cancellationToken) =>
        _cache.GetOrLoadAsync((applicationId, clientId), db, static (key, db, ct) =>
            db.Context.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == key.ClientId && c.ApplicationId == key.ApplicationId, ct), cancellationToken);

    public void Invalidate(string applicationId, string clientId) => _cache.Invalidate((applicationId, clientId));
}

using Lanyard.Server.Common;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// An application's custom-claim mappings, read for every user token and userinfo answer. Kept for
/// <see cref="ProtocolSettings.HotRowCacheLifetime"/> like applications and clients (ADR 0009); a change saved
/// through this node invalidates it at once (<see cref="HotRowInvalidation"/>).
/// </summary>
internal sealed class CustomClaimsDirectory(ServerSettings settings, TimeProvider time)
{
    private const int Capacity = 1_000;
    private readonly ExpiringCache<string, Mappings> _cache = new(settings.Protocol.HotRowCacheLifetime, Capacity, time);

    /// <summary>The mappings of the application the caller's scope has entered.</summary>
    public async ValueTask<IReadOnlyList<CustomClaimMapping>> ForApplicationAsync(LanyardDbContext db, string applicationId, CancellationToken cancellationToken)
    {
        var mappings = await _cache.GetOrLoadAsync(applicationId, db,
            static async (_, db, ct) => new Mappings(await CustomClaims.LoadAsync(db, ct)), cancellationToken);
        return mappings!.List;
    }

    public void Invalidate(string applicationId) => _cache.Invalidate(applicationId);

    private sealed record Mappings(IReadOnlyList<CustomClaimMapping> List);
}

using Lanyard.Server.Common;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// The stored policy rows that <see cref="PolicyResolver"/> chooses from, as every hosted page, login and workflow
/// reads them: an application's own rows, and per tenant the kinds it overrides with its own copies. Kept for
/// <see cref="ProtocolSettings.HotRowCacheLifetime"/> like applications and clients (ADR 0009); a change saved
/// through this node invalidates the owner's entry at once (<see cref="HotRowInvalidation"/>), one made on another
/// node shows within the lifetime. The rows are shared between requests: read them, never change or attach them.
/// </summary>
/// <remarks>
/// Entries are whole owners, not single rows: "no row, the defaults apply" is the common answer and is an
/// entry's content, while the keys themselves are an application and a tenant that host resolution has found.
/// </remarks>
internal sealed class PolicyDirectory(ServerSettings settings, TimeProvider time)
{
    private const int ApplicationCapacity = 1_000;
    private const int TenantCapacity = 10_000;

    private readonly ExpiringCache<string, OwnerPolicies> _applications = new(settings.Protocol.HotRowCacheLifetime, ApplicationCapacity, time);
    private readonly ExpiringCache<(string ApplicationId, string TenantId), OwnerPolicies> _tenants = new(settings.Protocol.HotRowCacheLifetime, TenantCapacity, time);

    /// <summary>The application's own rows: the scope must have entered <paramref name="applicationId"/>.</summary>
    /// <param name="fresh">Read the database, past the cache (the management API answers with what is stored).</param>
    public async ValueTask<OwnerPolicies> ForApplicationAsync(LanyardDbContext db, string applicationId, bool fresh, CancellationToken cancellationToken) =>
        fresh
            ? (await LoadApplicationAsync(applicationId, db, cancellationToken))!
            : (await _applications.GetOrLoadAsync(applicationId, db, LoadApplicationAsync, cancellationToken))!;

    /// <summary>The kinds the tenant overrides and its own rows of those kinds: the scope must have entered the tenant.</summary>
    /// <param name="fresh">Read the database, past the cache.</param>
    public async ValueTask<OwnerPolicies> ForTenantAsync(
        LanyardDbContext db, string applicationId, string tenantId, bool fresh, CancellationToken cancellationToken) =>
        fresh
            ? (await LoadTenantAsync((applicationId, tenantId), db, cancellationToken))!
            : (await _tenants.GetOrLoadAsync((applicationId, tenantId), db, LoadTenantAsync, cancellationToken))!;

    /// <summary>Drops the entry of the row's owner: the application's when <paramref name="tenantId"/> is null.</summary>
    public void Invalidate(string applicationId, string? tenantId)
    {
        if (tenantId is null)
        {
            _applications.Invalidate(applicationId);
        }
        else
        {
            _tenants.Invalidate((applicationId, tenantId));
        }
    }

    // The loaders name their key as well as relying on the scope's query filters: an entry outlives the request
    // that loaded it, so it must hold its key's rows even if a caller's scope and key ever disagreed.
    // Never null (an owner without rows is an empty entry); nullable only to fit the cache's loader signature.
    private static async Task<OwnerPolicies?> LoadApplicationAsync(string applicationId, LanyardDbContext db, CancellationToken cancellationToken) =>
        OwnerPolicies.Of([], await db.Policies.AsNoTracking()
            .Where(p => p.ApplicationId == applicationId && p.TenantId == null).ToListAsync(cancellationToken));

    private static async Task<OwnerPolicies?> LoadTenantAsync((string ApplicationId, string TenantId) key, LanyardDbContext db, CancellationToken cancellationToken)
    {
        var overridden = await db.PolicyOverrideToggles
            .Where(t => t.ApplicationId == key.ApplicationId && t.TenantId == key.TenantId && t.Enabled).Select(t => t.Kind).ToListAsync(cancellationToken);
        // Most tenants override nothing: then their own rows (kept while an override is off) are not read.
        var own = overridden.Count == 0
            ? []
            : await db.Policies.AsNoTracking().Where(p => p.ApplicationId == key.ApplicationId && p.TenantId == key.TenantId && overridden.Contains(p.Kind)).ToListAsync(cancellationToken);
        return OwnerPolicies.Of(overridden, own);
    }
}

/// <summary>One owner's stored policies: the kinds it overrides (a tenant's toggles that are on) and its rows.</summary>
internal sealed class OwnerPolicies
{
    private readonly HashSet<PolicyKind> _overridden;
    private readonly Dictionary<(PolicyKind Kind, string SubKey), Policy> _rows;

    private OwnerPolicies(HashSet<PolicyKind> overridden, Dictionary<(PolicyKind, string), Policy> rows)
    {
        _overridden = overridden;
        _rows = rows;
    }

    public static OwnerPolicies Of(IEnumerable<PolicyKind> overridden, IEnumerable<Policy> rows) =>
        new([.. overridden], rows.ToDictionary(p => (p.Kind, p.SubKey)));

    public bool Overrides(PolicyKind kind) => _overridden.Contains(kind);

    public Policy? Find(PolicyKind kind, string subKey) => _rows.GetValueOrDefault((kind, subKey));
}

using System.Text.Json;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Policies;

/// <summary>The policy in force and where it came from.</summary>
internal sealed record ResolvedPolicy<T>(T Settings, PolicyOwnerType Source, bool IsDefault);

/// <summary>
/// Answers "which settings of this policy kind apply here": in a tenant scope, the tenant's own copy when
/// its override toggle for the kind is on; otherwise the application's row; otherwise the built-in
/// defaults (the settings type's property initialisers). A row may hold only some fields: the rest keep
/// their defaults, so adding a setting never breaks stored policies.
/// </summary>
internal sealed class PolicyResolver(LanyardDbContext db)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
    };

    public async Task<ResolvedPolicy<T>> ResolveAsync<T>(PolicyKind kind, string subKey = "", CancellationToken cancellationToken = default)
        where T : class, new()
    {
        var row = await InForceAsync(kind, subKey, cancellationToken);
        return row is null
            ? new ResolvedPolicy<T>(new T(), PolicyOwnerType.Application, true)
            : new ResolvedPolicy<T>(Read<T>(row.Settings), row.OwnerType, false);
    }

    /// <summary>
    /// The stored row in force here (untracked), or null when the built-in defaults apply. The management
    /// API answers with the row's id and metadata; everything else only needs <see cref="ResolveAsync{T}"/>.
    /// </summary>
    public async Task<Policy?> InForceAsync(PolicyKind kind, string subKey = "", CancellationToken cancellationToken = default)
    {
        var tenantId = db.Tenant.TenantId;
        if (tenantId is not null
            && await db.PolicyOverrideToggles.AnyAsync(t => t.Kind == kind && t.Enabled, cancellationToken))
        {
            var own = await db.Policies.AsNoTracking()
                .FirstOrDefaultAsync(p => p.TenantId == tenantId && p.Kind == kind && p.SubKey == subKey, cancellationToken);
            if (own is not null)
            {
                return own;
            }
        }

        return await db.Policies.AsNoTracking()
            .FirstOrDefaultAsync(p => p.TenantId == null && p.Kind == kind && p.SubKey == subKey, cancellationToken);
    }

    public async Task<T> GetAsync<T>(PolicyKind kind, string subKey = "", CancellationToken cancellationToken = default)
        where T : class, new() => (await ResolveAsync<T>(kind, subKey, cancellationToken)).Settings;

    private static T Read<T>(string json) where T : class, new() => JsonSerializer.Deserialize<T>(json, Json) ?? new T();
}

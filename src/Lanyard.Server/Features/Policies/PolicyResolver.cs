using System.Text.Json;
using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Policies;

/// <summary>The policy in force and where it came from.</summary>
internal sealed record ResolvedPolicy<T>(T Settings, PolicyOwnerType Source, bool IsDefault);

/// <summary>
/// Answers "which settings of this policy kind apply here": in a tenant scope, the tenant's own copy when
/// its override toggle for the kind is on; otherwise the application's row; otherwise the built-in
/// defaults (the settings type's property initialisers). A row may hold only some fields: the rest keep
/// their defaults, so adding a setting never breaks stored policies.
/// </summary>
internal sealed class PolicyResolver(LanyardDbContext db, PolicyDirectory directory)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper) },
    };

    public async Task<ResolvedPolicy<T>> ResolveAsync<T>(PolicyKind kind, string subKey = "", CancellationToken cancellationToken = default)
        where T : class, new()
    {
        var row = await InForceAsync(kind, subKey, fresh: false, cancellationToken);
        return row is null
            ? new ResolvedPolicy<T>(new T(), PolicyOwnerType.Application, true)
            : new ResolvedPolicy<T>(Read<T>(row.Settings), row.OwnerType, false);
    }

    public async Task<T> GetAsync<T>(PolicyKind kind, string subKey = "", CancellationToken cancellationToken = default)
        where T : class, new() => (await ResolveAsync<T>(kind, subKey, cancellationToken)).Settings;

    /// <summary>
    /// The stored row in force here (shared with other requests: read-only), or null when the built-in defaults
    /// apply. Logins, pages and workflows read this node's copy (<see cref="PolicyDirectory"/>); the management API
    /// answers with what is stored (<paramref name="fresh"/>).
    /// </summary>
    public async ValueTask<Policy?> InForceAsync(PolicyKind kind, string subKey, bool fresh, CancellationToken cancellationToken)
    {
        // Outside an application's scope the data layer shows no policy rows at all: the defaults apply.
        if (db.Tenant.ApplicationId is not { } applicationId)
        {
            return null;
        }

        if (db.Tenant.TenantId is { } tenantId)
        {
            var tenant = await directory.ForTenantAsync(db, applicationId, tenantId, fresh, cancellationToken);
            if (tenant.Overrides(kind) && tenant.Find(kind, subKey) is { } own)
            {
                return own;
            }
        }

        return (await directory.ForApplicationAsync(db, applicationId, fresh, cancellationToken)).Find(kind, subKey);
    }

    private static T Read<T>(string json) where T : class, new() => JsonSerializer.Deserialize<T>(json, Json) ?? new T();
}

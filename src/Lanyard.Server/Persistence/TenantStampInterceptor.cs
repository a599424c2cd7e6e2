using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Lanyard.Server.Persistence;

/// <summary>
/// The write half of tenant isolation (the query filters are the read half). On insert it stamps the
/// scope's application and tenant on owned rows and refuses rows aimed at another scope; on update it
/// refuses any change of owner. A violation is a bug, so it throws instead of returning a value.
/// </summary>
internal sealed class TenantStampInterceptor : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Stamp(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Stamp(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private static void Stamp(DbContext? context)
    {
        if (context is not LanyardDbContext db)
        {
            return;
        }

        var scope = db.Tenant;
        foreach (var entry in db.ChangeTracker.Entries())
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified))
            {
                continue;
            }

            var added = entry.State == EntityState.Added;
            var type = entry.Metadata.ClrType.Name;

            if (entry.Entity is IApplicationOwned appOwned)
            {
                if (added)
                {
                    appOwned.ApplicationId = Claim(appOwned.ApplicationId, scope.ApplicationId, type, "application");
                }
                else
                {
                    RefuseChange(entry, nameof(IApplicationOwned.ApplicationId), type);
                }
            }

            switch (entry.Entity)
            {
                case ITenantOwned tenantOwned when added:
                    tenantOwned.TenantId = Claim(tenantOwned.TenantId, scope.TenantId, type, "tenant");
                    break;
                case IApplicationOrTenantOwned shared when added && shared.TenantId is not null:
                    // An application-owned row (null) may be written from any scope of its application;
                    // a tenant's row only from that tenant's scope.
                    shared.TenantId = Claim(shared.TenantId, scope.TenantId, type, "tenant");
                    break;
                case ITenantOwned or IApplicationOrTenantOwned when !added:
                    RefuseChange(entry, nameof(ITenantOwned.TenantId), type);
                    break;
            }
        }
    }

    private static string Claim(string? onEntity, string? inScope, string type, string owner)
    {
        if (inScope is null)
        {
            throw new TenantIsolationException($"A {type} row was written with no {owner} in scope.");
        }

        if (!string.IsNullOrEmpty(onEntity) && !string.Equals(onEntity, inScope, StringComparison.Ordinal))
        {
            throw new TenantIsolationException($"A {type} row names another {owner} than the one in scope.");
        }

        return inScope;
    }

    private static void RefuseChange(Microsoft.EntityFrameworkCore.ChangeTracking.EntityEntry entry, string property, string type)
    {
        var prop = entry.Property(property);
        if (prop.IsModified && !Equals(prop.OriginalValue, prop.CurrentValue))
        {
            throw new TenantIsolationException($"The {property} of a saved {type} row cannot change.");
        }
    }
}

/// <summary>A write that would cross or change a tenant boundary. Always a bug in the caller.</summary>
internal sealed class TenantIsolationException(string message) : InvalidOperationException(message);

using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Lanyard.Server.Persistence;

/// <summary>
/// Drops this node's cached copy of every application, client, policy or policy override toggle that a save adds, changes or deletes, before
/// and after the write, so a request on this node never sees a row older than its own last change. Bulk
/// <c>ExecuteUpdate</c>/<c>ExecuteDelete</c> on those tables bypass this and must invalidate themselves.
/// </summary>
internal sealed class HotRowInvalidation(
    ApplicationDirectory applications, ClientDirectory clients, CustomClaimsDirectory customClaims, PolicyDirectory policies) : SaveChangesInterceptor
{
    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Invalidate(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Invalidate(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Invalidate(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Invalidate(eventData.Context);
        return ValueTask.FromResult(result);
    }

    private void Invalidate(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        // After a save the entries are Unchanged (or gone for deletions), so both states are looked at.
        foreach (var entry in context.ChangeTracker.Entries())
        {
            switch (entry.Entity)
            {
                case Application:
                    applications.Invalidate();
                    break;
                case OAuthClient client:
                    clients.Invalidate(client.ApplicationId, client.Id);
                    break;
                case Policy policy:
                    policies.Invalidate(policy.ApplicationId, policy.TenantId);
                    if (policy.Kind == PolicyKind.TokenClaims)
                    {
                        customClaims.Invalidate(policy.ApplicationId);
                    }

                    break;
                case PolicyOverrideToggle toggle:
                    policies.Invalidate(toggle.ApplicationId, toggle.TenantId);
                    break;
            }
        }
    }
}

using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// Loads the user behind a grant, in the grant's tenant scope, and says whether tokens may still be
/// issued for them: the account and its tenant must be active at every redemption and refresh, not
/// only at login.
/// </summary>
internal sealed class GrantSubject(LanyardDbContext db, TenantContext scope, TimeProvider time)
{
    public async Task<User?> LoadActiveAsync(Grant grant, CancellationToken cancellationToken)
    {
        scope.Enter(grant.ApplicationId, grant.TenantId);
        // One round trip: the user, provided their tenant is active.
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == grant.UserId && db.Tenants.Any(t => t.Id == grant.TenantId && t.Status == TenantStatus.Active))
            .FirstOrDefaultAsync(cancellationToken);
        return user is { Status: UserStatus.Active } ? user : null;
    }

    /// <summary>Revokes a grant and with it every code, refresh token and access token it produced.</summary>
    public Task RevokeAsync(string grantId, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return db.Grants.Where(g => g.Id == grantId && g.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, reason), cancellationToken);
    }
}

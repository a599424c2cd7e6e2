using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Users;

/// <summary>Ends what users signed in to: for deactivation (API or import) and for revoking their sessions.</summary>
internal static class UserSignOut
{
    /// <summary>The grants' revocation reason when their user is deactivated.</summary>
    public const string DeactivatedReason = "user_deactivated";

    /// <summary>
    /// Ends the users' auth sessions and revokes their grants: their refresh tokens stop refreshing and their access
    /// tokens stop working on Lanyard's APIs. Grants are application-owned (the token endpoint reads them without a
    /// tenant), so the tenant is named here as well as the users.
    /// </summary>
    public static async Task RevokeAsync(
        LanyardDbContext db, string tenantId, IReadOnlyCollection<string> userIds, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.AuthSessions.Where(s => userIds.Contains(s.UserId) && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), cancellationToken);
        await db.Grants.Where(g => g.TenantId == tenantId && userIds.Contains(g.UserId) && g.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, reason), cancellationToken);
    }
}

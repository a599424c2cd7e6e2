using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>A role as tokens and userinfo carry it: <c>{id, name, display_name}</c>.</summary>
internal sealed record RoleClaim(string Id, string Name, string DisplayName);

/// <summary>
/// The roles a subject holds, read with one query joining the assignment to its role. A user's roles are
/// read in the scope the caller has entered (the user's tenant), so the query filters keep another
/// tenant's assignments and roles out even if an id were wrong.
/// </summary>
internal static class AssignedRoles
{
    public static Task<List<RoleClaim>> OfUserAsync(LanyardDbContext db, string userId, CancellationToken cancellationToken) =>
        db.UserRoles.Where(ur => ur.UserId == userId)
            .Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r)
            .OrderBy(r => r.Name)
            .Select(r => new RoleClaim(r.Id, r.Name, r.DisplayName))
            .ToListAsync(cancellationToken);

    public static Task<List<RoleClaim>> OfClientAsync(LanyardDbContext db, string clientId, CancellationToken cancellationToken) =>
        db.ClientRoles.Where(cr => cr.ClientId == clientId)
            .Join(db.Roles, cr => cr.RoleId, r => r.Id, (_, r) => r)
            .OrderBy(r => r.Name)
            .Select(r => new RoleClaim(r.Id, r.Name, r.DisplayName))
            .ToListAsync(cancellationToken);
}

using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// What the role, permission and assignment endpoints share: the answers they refuse with, finding a role
/// in the caller's boundary, and the rule that a user's token cannot hand out permissions it lacks.
/// </summary>
internal static class RbacApi
{
    public static IResult Forbidden(string message) => ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", message);

    public static IResult RoleNotFound() => ApiErrors.Base(StatusCodes.Status404NotFound, "role_not_found", "The role does not exist.");

    public static IResult UserNotFound() => ApiErrors.Base(StatusCodes.Status404NotFound, "user_not_found", "The user does not exist.");

    public static IResult Conflict() =>
        ApiErrors.Base(StatusCodes.Status409Conflict, "conflict", "Another request changed these assignments at the same time; retry.");

    /// <summary>
    /// A role by id as the caller may see it. A client's token (no tenant in scope) lifts the tenant filter
    /// for this one lookup so it finds tenant roles too, then keeps only those of tenants its grant reaches;
    /// a user's token keeps its tenant filter, so it sees application roles and its own tenant's roles,
    /// never another tenant's.
    /// </summary>
    public static async Task<Role?> FindRoleAsync(HttpContext http, LanyardDbContext db, TenantContext scope, string id, CancellationToken cancellationToken)
    {
        var role = scope.TenantId is null
            ? await db.Roles.IgnoreQueryFilters([QueryFilters.Tenant]).AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken)
            : await db.Roles.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        return role?.TenantId is { } tenantId && !http.CallerReach().CoversTenant(tenantId) ? null : role;
    }

    /// <summary>
    /// Application roles are changed only by callers whose grant reaches the whole application; a tenant's
    /// role by callers whose grant reaches that tenant.
    /// </summary>
    public static bool MayChange(HttpContext http, Role role) =>
        role.TenantId is null ? http.CallerReachesApplication() : http.CallerReach().CoversTenant(role.TenantId);

    /// <summary>
    /// Whether the caller may hand out these grants to holders in <paramref name="tenantId"/>. A client's token
    /// acts for the application's own backend and may; a user (say a tenant admin with <c>user:write</c>) may
    /// only pass on what it holds itself, and as far as it holds it: a grant that reaches a whole tenant needs
    /// the caller's own grant of that permission to reach the tenant, a SELF grant needs the caller to hold the
    /// permission at all. So a user can raise neither itself nor anyone else above its own rights, neither by
    /// permission nor by boundary (a SELF-bounded <c>user:write</c> cannot hand out a tenant-wide one).
    /// </summary>
    public static bool MayGrant(ApiCaller caller, IEnumerable<PermissionGrant> grants, string? tenantId)
    {
        if (caller.IsClient)
        {
            return true;
        }

        foreach (var grant in grants)
        {
            var reach = caller.Reach(grant.Permission);
            var selfOnly = grant.Boundary is { Type: PermissionBoundaryType.Predefined, Value: PredefinedBoundary.Self };
            if (reach.IsEmpty || (!selfOnly && (tenantId is null || !reach.CoversTenant(tenantId))))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every (permission, boundary) the given roles carry, their permission groups' included: what holding them all would grant.</summary>
    public static async Task<List<PermissionGrant>> GrantsOfRolesAsync(LanyardDbContext db, IReadOnlyCollection<string> roleIds, CancellationToken cancellationToken) =>
        [.. (await GrantsByRoleAsync(db, roleIds, cancellationToken)).Values.SelectMany(g => g)];

    /// <summary>
    /// What each of the given roles grants: its own permissions under its boundary, and its permission groups'
    /// permissions under each group's boundary. The roles were found by the caller in its own scope already;
    /// the tenant filter is lifted here only so that a client's scope can read a tenant role's permissions.
    /// </summary>
    public static async Task<Dictionary<string, List<PermissionGrant>>> GrantsByRoleAsync(
        LanyardDbContext db, IReadOnlyCollection<string> roleIds, CancellationToken cancellationToken)
    {
        var ids = roleIds.Distinct(StringComparer.Ordinal).ToList();
        var direct = await db.Roles.IgnoreQueryFilters([QueryFilters.Tenant]).Where(r => ids.Contains(r.Id))
            .Join(db.RolePermissions, r => r.Id, rp => rp.RoleId, (r, rp) => new { RoleId = r.Id, r.PermissionBoundaryId, rp.PermissionId })
            .Join(db.Permissions, x => x.PermissionId, p => p.Id, (x, p) => new { x.RoleId, x.PermissionBoundaryId, p.Value })
            .ToListAsync(cancellationToken);
        var grouped = await db.RolePermissionGroups.Where(rg => ids.Contains(rg.RoleId))
            .Join(db.PermissionGroups, rg => rg.PermissionGroupId, g => g.Id, (rg, g) => new { rg.RoleId, GroupId = g.Id, g.PermissionBoundaryId })
            .Join(db.PermissionGroupPermissions, x => x.GroupId, gp => gp.PermissionGroupId, (x, gp) => new { x.RoleId, x.PermissionBoundaryId, gp.PermissionId })
            .Join(db.Permissions, x => x.PermissionId, p => p.Id, (x, p) => new { x.RoleId, x.PermissionBoundaryId, p.Value })
            .ToListAsync(cancellationToken);
        var all = direct.Concat(grouped).ToList();
        var boundaries = await BoundariesAsync(db, all.Select(g => g.PermissionBoundaryId), cancellationToken);
        var byRole = ids.ToDictionary(id => id, _ => new List<PermissionGrant>(), StringComparer.Ordinal);
        foreach (var grant in all)
        {
            byRole[grant.RoleId].Add(new PermissionGrant(grant.Value, grant.PermissionBoundaryId is { } b ? boundaries.GetValueOrDefault(b) : null));
        }

        return byRole;
    }

    /// <summary>What the given permission groups grant: each permission under its group's boundary.</summary>
    public static async Task<List<PermissionGrant>> GrantsOfGroupsAsync(LanyardDbContext db, IReadOnlyCollection<string> groupIds, CancellationToken cancellationToken)
    {
        var ids = groupIds.ToList();
        var rows = await db.PermissionGroups.Where(g => ids.Contains(g.Id))
            .Join(db.PermissionGroupPermissions, g => g.Id, gp => gp.PermissionGroupId, (g, gp) => new { g.PermissionBoundaryId, gp.PermissionId })
            .Join(db.Permissions, x => x.PermissionId, p => p.Id, (x, p) => new { x.PermissionBoundaryId, p.Value })
            .Distinct().ToListAsync(cancellationToken);
        var boundaries = await BoundariesAsync(db, rows.Select(r => r.PermissionBoundaryId), cancellationToken);
        return [.. rows.Select(r => new PermissionGrant(r.Value, r.PermissionBoundaryId is { } b ? boundaries.GetValueOrDefault(b) : null))];
    }

    /// <summary>The boundary of the given id, or null: a null id (the holder's natural reach) or a boundary of another application.</summary>
    public static async Task<PermissionBoundary?> BoundaryAsync(LanyardDbContext db, string? boundaryId, CancellationToken cancellationToken) =>
        boundaryId is null ? null : await db.PermissionBoundaries.AsNoTracking().FirstOrDefaultAsync(b => b.Id == boundaryId, cancellationToken);

    private static async Task<Dictionary<string, PermissionBoundary>> BoundariesAsync(LanyardDbContext db, IEnumerable<string?> boundaryIds, CancellationToken cancellationToken)
    {
        var ids = boundaryIds.OfType<string>().Distinct(StringComparer.Ordinal).ToList();
        return ids.Count == 0
            ? new Dictionary<string, PermissionBoundary>(StringComparer.Ordinal)
            : await db.PermissionBoundaries.AsNoTracking().Where(b => ids.Contains(b.Id)).ToDictionaryAsync(b => b.Id, StringComparer.Ordinal, cancellationToken);
    }

    public static IResult ApplicationNotFound() =>
        ApiErrors.Base(StatusCodes.Status404NotFound, "application_not_found", "The application does not exist.");

    public static IResult NotApplicationWide(string what) =>
        Forbidden($"{what} belong to the application; only a caller whose grant reaches the whole application may change them.");

    /// <summary>Logs why a list request was refused (its code only: the query text may carry emails) and answers it.</summary>
    public static IResult ListRefused(ILoggerFactory loggers, string resource, Common.Api.ListError error)
    {
        var logger = loggers.CreateLogger(typeof(RbacApi));
        Common.Api.Log.ListRefused(logger, resource, error.Code);
        return error.ToResult();
    }

    /// <summary>Whether a flag of the query string (<c>include_…=true</c>) is on.</summary>
    public static bool Flag(HttpContext http, string name) =>
        string.Equals(http.Request.Query[name].ToString(), "true", StringComparison.OrdinalIgnoreCase);
}

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
    /// Whether the caller may hand out these permissions. A client's token acts for the application's own
    /// backend and may; a user (say a tenant admin with <c>user:write</c>) may only pass on permissions it
    /// holds itself, so it can neither raise itself nor anyone else above its own rights.
    /// </summary>
    public static bool MayGrant(ApiCaller caller, IEnumerable<string> permissionValues) =>
        caller.IsClient || permissionValues.All(caller.Permissions.Contains);

    /// <summary>The permission values that the given roles carry.</summary>
    public static Task<List<string>> PermissionsOfRolesAsync(LanyardDbContext db, List<string> roleIds, CancellationToken cancellationToken) =>
        db.RolePermissions.Where(rp => roleIds.Contains(rp.RoleId))
            .Join(db.Permissions, rp => rp.PermissionId, p => p.Id, (_, p) => p.Value)
            .Distinct().ToListAsync(cancellationToken);
}

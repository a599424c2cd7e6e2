using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// The role and permission query APIs, with the list conventions (<c>query</c>, <c>sort_by</c>, paging,
/// <c>fields</c>): an application's roles (tenant roles only of tenants the caller reaches), one tenant's roles
/// (with the application's on request), and an application's permissions (the predefined ones on request).
/// </summary>
internal static class RoleListEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery().WithTags("Roles");
        api.MapGet("/applications/{applicationId}/roles", ApplicationRolesAsync).RequirePermission("role:read");
        api.MapGet("/tenants/{tenantId}/roles", TenantRolesAsync).RequirePermission("role:read");
        api.MapGet("/applications/{applicationId}/permissions", PermissionsAsync).RequirePermission("permission:read").WithTags("Permissions");
    }

    private static async Task<IResult> ApplicationRolesAsync(
        string applicationId, HttpContext http, LanyardDbContext db, TenantContext scope, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!string.Equals(applicationId, http.RequiredApplication().Id, StringComparison.Ordinal))
        {
            return RbacApi.ApplicationNotFound();
        }

        var (request, error) = ApiList.Read(http.Request.Query, RbacLists.Roles);
        if (request is null)
        {
            return RbacApi.ListRefused(loggers, "roles", error!);
        }

        // A client's scope has no tenant, so its filter shows application roles only: the tenant filter is lifted
        // and tenant roles are kept only for tenants the grant of role:read reaches. A user's scope keeps its
        // tenant's filter, and the same reach narrows it further (a SELF-bounded reader sees application roles only).
        var roles = scope.TenantId is null ? db.Roles.IgnoreQueryFilters([QueryFilters.Tenant]) : db.Roles;
        var reach = http.CallerReach();
        if (!reach.IsUnbounded)
        {
            var included = reach.Included.ToList();
            var excluded = reach.Excluded.ToList();
            roles = reach.Everywhere
                ? roles.Where(r => r.TenantId == null || !excluded.Contains(r.TenantId!) || included.Contains(r.TenantId!))
                : roles.Where(r => r.TenantId == null || included.Contains(r.TenantId!));
        }

        return TypedResults.Ok(await ApiList.PageAsync(roles.AsNoTracking(), request, RbacLists.Roles, r => RbacLists.Node(RoleJson.From(r)), cancellationToken));
    }

    private static async Task<IResult> TenantRolesAsync(
        string tenantId, HttpContext http, LanyardDbContext db, TenantContext scope, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (request, error) = ApiList.Read(http.Request.Query, RbacLists.Roles);
        if (request is null)
        {
            return RbacApi.ListRefused(loggers, "tenant roles", error!);
        }

        if (await ApiScope.EnterTenantAsync(http, db, scope, tenantId, cancellationToken) is null)
        {
            return Common.ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "The tenant does not exist.");
        }

        // In the tenant's scope the filter shows the application's roles and this tenant's, never another's.
        var roles = db.Roles.AsNoTracking();
        if (!RbacApi.Flag(http, "include_application_roles"))
        {
            roles = roles.Where(r => r.TenantId != null);
        }

        return TypedResults.Ok(await ApiList.PageAsync(roles, request, RbacLists.Roles, r => RbacLists.Node(RoleJson.From(r)), cancellationToken));
    }

    private static async Task<IResult> PermissionsAsync(string applicationId, HttpContext http, LanyardDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!string.Equals(applicationId, http.RequiredApplication().Id, StringComparison.Ordinal))
        {
            return RbacApi.ApplicationNotFound();
        }

        var (request, error) = ApiList.Read(http.Request.Query, RbacLists.Permissions);
        if (request is null)
        {
            return RbacApi.ListRefused(loggers, "permissions", error!);
        }

        var permissions = db.Permissions.AsNoTracking();
        if (!RbacApi.Flag(http, "include_predefined_permissions"))
        {
            permissions = permissions.Where(p => p.Type == RbacType.Custom);
        }

        return TypedResults.Ok(await ApiList.PageAsync(permissions, request, RbacLists.Permissions, p => RbacLists.Node(PermissionJson.From(p)), cancellationToken));
    }
}

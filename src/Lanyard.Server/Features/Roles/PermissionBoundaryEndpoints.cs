using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// Permission boundaries on the application host: create a custom tenant inclusion or exclusion list, read
/// one, list them (the three predefined ones on request), delete an unused one. A boundary is application
/// configuration that names tenants, so every route needs a grant reaching the whole application: another
/// tenant's id must never be shown to a caller bounded to some tenants.
/// </summary>
internal static class PermissionBoundaryEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery().WithTags("Permission boundaries");
        api.MapPost("/permission-boundaries", CreateAsync).RequirePermission("permission-boundary:create");
        api.MapGet("/permission-boundaries/{id}", GetAsync).RequirePermission("permission-boundary:read");
        api.MapDelete("/permission-boundaries/{id}", DeleteAsync).RequirePermission("permission-boundary:delete");
        api.MapGet("/applications/{applicationId}/permission-boundaries", ListAsync).RequirePermission("permission-boundary:read");
    }

    private static async Task<IResult> CreateAsync(
        CreatePermissionBoundaryRequest body, HttpContext http, LanyardDbContext db, TimeProvider time, ILogger<PermissionBoundary> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Permission boundaries");
        }

        var application = http.RequiredApplication();
        var violations = new ConstraintViolations();
        RbacRules.CheckName(body.Name, violations);
        RbacRules.CheckText("displayName", body.DisplayName, RbacRules.DisplayNameMaxLength, required: true, violations);
        RbacRules.CheckText("description", body.Description, RbacRules.DescriptionMaxLength, required: false, violations);
        RbacRules.CheckApplicationOwner(body.OwnerType, body.OwnerId, application.Id, violations);
        PermissionBoundaryType type = default;
        if (string.IsNullOrEmpty(body.Type))
        {
            violations.Add("type", ViolationCodes.Required);
        }
        else if (!WireName<PermissionBoundaryType>.TryParse(body.Type, out type) || type == PermissionBoundaryType.Predefined)
        {
            // Only lists are custom: the predefined boundaries exist once per application already.
            violations.Add("type", ViolationCodes.InvalidValue);
        }

        var tenantIds = body.ResourceList?.Distinct(StringComparer.Ordinal).ToList() ?? [];
        if (tenantIds.Count == 0)
        {
            violations.Add("resourceList", ViolationCodes.Required);
        }
        else if (tenantIds.Count > PermissionBoundary.MaxTenants)
        {
            violations.Add("resourceList", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = PermissionBoundary.MaxTenants });
        }
        else if (tenantIds.Any(id => string.IsNullOrEmpty(id) || id.Length > 26)
            || await db.Tenants.CountAsync(t => tenantIds.Contains(t.Id) && t.Status != TenantStatus.DeleteInProgress, cancellationToken) != tenantIds.Count)
        {
            violations.Add("resourceList", ViolationCodes.InvalidValue);
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        var name = RbacRules.ApplicationPrefix(application.Name) + body.Name;
        if (await db.PermissionBoundaries.AnyAsync(b => b.Name == name, cancellationToken))
        {
            return NameTaken();
        }

        var boundary = new PermissionBoundary
        {
            Id = LanyardId.New(time),
            Name = name,
            DisplayName = body.DisplayName!.Trim(),
            Description = string.IsNullOrWhiteSpace(body.Description) ? null : body.Description.Trim(),
            Type = type,
            ResourceList = tenantIds,
        };
        db.PermissionBoundaries.Add(boundary);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            return NameTaken();
        }

        var caller = http.RequiredCaller();
        Log.BoundaryCreated(logger, boundary.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Created($"/api/v1/permission-boundaries/{boundary.Id}", PermissionBoundaryJson.From(boundary));
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, LanyardDbContext db, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Permission boundaries");
        }

        var boundary = await db.PermissionBoundaries.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        return boundary is null ? NotFound() : TypedResults.Ok(PermissionBoundaryJson.From(boundary));
    }

    /// <summary>Deletes a custom boundary no role or permission group uses; a boundary in use would silently widen or narrow their reach.</summary>
    private static async Task<IResult> DeleteAsync(string id, HttpContext http, LanyardDbContext db, ILogger<PermissionBoundary> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Permission boundaries");
        }

        var boundary = await db.PermissionBoundaries.AsNoTracking().FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (boundary is null)
        {
            return NotFound();
        }

        if (boundary.Type == PermissionBoundaryType.Predefined)
        {
            return ApiErrors.BadRequest("permission_boundary_predefined", "A predefined permission boundary cannot be deleted.");
        }

        // Tenant roles use boundaries too: the tenant filter is lifted to see them, bounded by this application's boundary id.
        var inUse = await db.Roles.IgnoreQueryFilters([QueryFilters.Tenant]).AnyAsync(r => r.PermissionBoundaryId == boundary.Id, cancellationToken)
            || await db.PermissionGroups.AnyAsync(g => g.PermissionBoundaryId == boundary.Id, cancellationToken);
        if (inUse)
        {
            return ApiErrors.Base(StatusCodes.Status409Conflict, "permission_boundary_in_use",
                "Roles or permission groups use this boundary; give them another boundary first.");
        }

        try
        {
            await db.PermissionBoundaries.Where(b => b.Id == boundary.Id).ExecuteDeleteAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A role or group took the boundary between the check and the delete: the foreign key refused it.
            return ApiErrors.Base(StatusCodes.Status409Conflict, "permission_boundary_in_use", "Roles or permission groups use this boundary.");
        }

        var caller = http.RequiredCaller();
        Log.BoundaryDeleted(logger, boundary.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ListAsync(string applicationId, HttpContext http, LanyardDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!string.Equals(applicationId, http.RequiredApplication().Id, StringComparison.Ordinal))
        {
            return RbacApi.ApplicationNotFound();
        }

        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Permission boundaries");
        }

        var (request, error) = ApiList.Read(http.Request.Query, RbacLists.Boundaries);
        if (request is null)
        {
            return RbacApi.ListRefused(loggers, "permission-boundaries", error!);
        }

        var boundaries = db.PermissionBoundaries.AsNoTracking();
        if (!RbacApi.Flag(http, "include_predefined_permission_boundaries"))
        {
            boundaries = boundaries.Where(b => b.Type != PermissionBoundaryType.Predefined);
        }

        return TypedResults.Ok(await ApiList.PageAsync(boundaries, request, RbacLists.Boundaries, b => RbacLists.Node(PermissionBoundaryJson.From(b)), cancellationToken));
    }

    private static IResult NameTaken() => ApiErrors.Violations(ConstraintViolations.Single("name", ViolationCodes.NotUnique));

    private static IResult NotFound() =>
        ApiErrors.Base(StatusCodes.Status404NotFound, "permission_boundary_not_found", "The permission boundary does not exist.");
}

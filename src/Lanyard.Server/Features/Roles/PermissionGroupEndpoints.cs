using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// Permission groups on the application host: named sets of permissions with one boundary, which roles hold
/// besides single permissions. Groups are application configuration: any holder of the read permission may
/// read them (they name no tenant), only a grant reaching the whole application may change them.
/// </summary>
internal static class PermissionGroupEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery().WithTags("Permission groups");
        api.MapPost("/permission-groups", CreateAsync).RequirePermission("permission-group:create");
        api.MapGet("/permission-groups/{id}", GetAsync).RequirePermission("permission-group:read");
        api.MapGet("/permission-groups/{id}/permissions", ListPermissionsAsync).RequirePermission("permission-group:read");
        api.MapDelete("/permission-groups/{id}", DeleteAsync).RequirePermission("permission-group:delete");
        api.MapPost("/permission-groups/{id}/assign-permissions", (string id, AssignPermissionsRequest body, HttpContext http, LanyardDbContext db, ILogger<PermissionGroup> logger, CancellationToken ct) =>
            ChangePermissionsAsync(id, body, assign: true, http, db, logger, ct)).RequirePermission("permission-group:write");
        api.MapPost("/permission-groups/{id}/unassign-permissions", (string id, AssignPermissionsRequest body, HttpContext http, LanyardDbContext db, ILogger<PermissionGroup> logger, CancellationToken ct) =>
            ChangePermissionsAsync(id, body, assign: false, http, db, logger, ct)).RequirePermission("permission-group:write");
        api.MapGet("/applications/{applicationId}/permission-groups", ListAsync).RequirePermission("permission-group:read");
    }

    private static async Task<IResult> CreateAsync(
        CreatePermissionGroupRequest body, HttpContext http, LanyardDbContext db, TimeProvider time, ILogger<PermissionGroup> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Permission groups");
        }

        var application = http.RequiredApplication();
        var violations = new ConstraintViolations();
        RbacRules.CheckName(body.Name, violations);
        RbacRules.CheckText("displayName", body.DisplayName, RbacRules.DisplayNameMaxLength, required: true, violations);
        RbacRules.CheckText("description", body.Description, RbacRules.DescriptionMaxLength, required: false, violations);
        RbacRules.CheckApplicationOwner(body.OwnerType, body.OwnerId, application.Id, violations);
        if (body.PermissionBoundaryId is not null && await RbacApi.BoundaryAsync(db, body.PermissionBoundaryId, cancellationToken) is null)
        {
            violations.Add("permissionBoundaryId", ViolationCodes.InvalidValue);
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        var name = RbacRules.ApplicationPrefix(application.Name) + body.Name;
        if (await db.PermissionGroups.AnyAsync(g => g.Name == name, cancellationToken))
        {
            return NameTaken();
        }

        var group = new PermissionGroup
        {
            Id = LanyardId.New(time),
            Name = name,
            DisplayName = body.DisplayName!.Trim(),
            Description = string.IsNullOrWhiteSpace(body.Description) ? null : body.Description.Trim(),
            PermissionBoundaryId = body.PermissionBoundaryId,
        };
        db.PermissionGroups.Add(group);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            return NameTaken();
        }

        var caller = http.RequiredCaller();
        Log.GroupCreated(logger, group.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Created($"/api/v1/permission-groups/{group.Id}", PermissionGroupJson.From(group));
    }

    private static async Task<IResult> GetAsync(string id, LanyardDbContext db, CancellationToken cancellationToken)
    {
        var group = await db.PermissionGroups.AsNoTracking().FirstOrDefaultAsync(g => g.Id == id, cancellationToken);
        return group is null ? NotFound() : TypedResults.Ok(PermissionGroupJson.From(group));
    }

    private static async Task<IResult> ListPermissionsAsync(string id, HttpContext http, LanyardDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (request, error) = ApiList.Read(http.Request.Query, RbacLists.Permissions);
        if (request is null)
        {
            return RbacApi.ListRefused(loggers, "permission-group permissions", error!);
        }

        if (!await db.PermissionGroups.AnyAsync(g => g.Id == id, cancellationToken))
        {
            return NotFound();
        }

        var permissions = db.Permissions.AsNoTracking().Where(p => db.PermissionGroupPermissions.Any(gp => gp.PermissionGroupId == id && gp.PermissionId == p.Id));
        return TypedResults.Ok(await ApiList.PageAsync(permissions, request, RbacLists.Permissions, p => RbacLists.Node(PermissionJson.From(p)), cancellationToken));
    }

    /// <summary>Deletes the group; roles holding it lose its permissions at once (their next API call, their next token).</summary>
    private static async Task<IResult> DeleteAsync(string id, HttpContext http, LanyardDbContext db, ILogger<PermissionGroup> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Permission groups");
        }

        if (!await db.PermissionGroups.AnyAsync(g => g.Id == id, cancellationToken))
        {
            return NotFound();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.RolePermissionGroups.Where(rg => rg.PermissionGroupId == id).ExecuteDeleteAsync(cancellationToken);
        await db.PermissionGroupPermissions.Where(gp => gp.PermissionGroupId == id).ExecuteDeleteAsync(cancellationToken);
        await db.PermissionGroups.Where(g => g.Id == id).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var caller = http.RequiredCaller();
        Log.GroupDeleted(logger, id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ChangePermissionsAsync(
        string id, AssignPermissionsRequest body, bool assign, HttpContext http, LanyardDbContext db, ILogger<PermissionGroup> logger, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Permission groups");
        }

        var violations = new ConstraintViolations();
        var ids = RbacRules.Ids("permissionIds", body.PermissionIds, violations);
        if (ids is null)
        {
            return ApiErrors.Violations(violations);
        }

        var group = await db.PermissionGroups.AsNoTracking().FirstOrDefaultAsync(g => g.Id == id, cancellationToken);
        if (group is null)
        {
            return NotFound();
        }

        var permissions = await db.Permissions.Where(p => ids.Contains(p.Id)).Select(p => p.Value).ToListAsync(cancellationToken);
        if (permissions.Count != ids.Count)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("permissionIds", ViolationCodes.InvalidValue));
        }

        // Only application-wide callers get here today; the rule stays so a group can never carry more than its editor holds.
        var caller = http.RequiredCaller();
        var boundary = await RbacApi.BoundaryAsync(db, group.PermissionBoundaryId, cancellationToken);
        if (!RbacApi.MayGrant(caller, permissions.Select(p => new PermissionGrant(p, boundary)), caller.TenantId))
        {
            Log.EscalationRefused(logger, caller.SubjectId, caller.TenantId ?? "");
            return RbacApi.Forbidden("The caller may not grant permissions it does not hold.");
        }

        int changed;
        if (assign)
        {
            var held = await db.PermissionGroupPermissions.Where(gp => gp.PermissionGroupId == group.Id && ids.Contains(gp.PermissionId))
                .Select(gp => gp.PermissionId).ToListAsync(cancellationToken);
            var added = ids.Except(held, StringComparer.Ordinal).ToList();
            foreach (var permissionId in added)
            {
                db.PermissionGroupPermissions.Add(new PermissionGroupPermission { PermissionGroupId = group.Id, PermissionId = permissionId });
            }

            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException e) when (UniqueViolation.Is(e))
            {
                return RbacApi.Conflict();
            }

            changed = added.Count;
        }
        else
        {
            changed = await db.PermissionGroupPermissions.Where(gp => gp.PermissionGroupId == group.Id && ids.Contains(gp.PermissionId))
                .ExecuteDeleteAsync(cancellationToken);
        }

        Log.GroupPermissionsChanged(logger, group.Id, assign ? "assigned" : "unassigned", changed, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ListAsync(string applicationId, HttpContext http, LanyardDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        if (!string.Equals(applicationId, http.RequiredApplication().Id, StringComparison.Ordinal))
        {
            return RbacApi.ApplicationNotFound();
        }

        var (request, error) = ApiList.Read(http.Request.Query, RbacLists.Groups);
        if (request is null)
        {
            return RbacApi.ListRefused(loggers, "permission-groups", error!);
        }

        return TypedResults.Ok(await ApiList.PageAsync(
            db.PermissionGroups.AsNoTracking(), request, RbacLists.Groups, g => RbacLists.Node(PermissionGroupJson.From(g)), cancellationToken));
    }

    private static IResult NameTaken() => ApiErrors.Violations(ConstraintViolations.Single("name", ViolationCodes.NotUnique));

    internal static IResult NotFound() =>
        ApiErrors.Base(StatusCodes.Status404NotFound, "permission_group_not_found", "The permission group does not exist.");
}

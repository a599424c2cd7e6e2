using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Clients.Api;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// Changes to an existing role: its display name, description and boundary (merge patch), taking permissions
/// away, and giving or taking permission groups. The same rules as for creating apply: a user's token changes
/// only its own tenant's roles, and never hands out (or takes away) permissions beyond its own.
/// </summary>
internal static class RoleUpdateEndpoints
{
    private static readonly string[] ImmutableMembers = ["id", "name", "type", "ownerType", "ownerId", "tenantId", "applicationId"];

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery().WithTags("Roles");
        api.MapPatch("/roles/{id}", PatchAsync).RequirePermission("role:write").Accepts<PatchRoleRequest>("application/merge-patch+json", "application/json");
        api.MapPost("/roles/{id}/unassign-permissions", UnassignPermissionsAsync).RequirePermission("role:write");
        api.MapPost("/roles/{id}/assign-permission-groups", (string id, AssignPermissionGroupsRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken ct) =>
            ChangeGroupsAsync(id, body, assign: true, http, db, scope, logger, ct)).RequirePermission("role:write");
        api.MapPost("/roles/{id}/unassign-permission-groups", (string id, AssignPermissionGroupsRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken ct) =>
            ChangeGroupsAsync(id, body, assign: false, http, db, scope, logger, ct)).RequirePermission("role:write");
    }

    private static async Task<IResult> PatchAsync(
        string id, JsonObject body, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var found = await RbacApi.FindRoleAsync(http, db, scope, id, cancellationToken);
        if (found is null)
        {
            return RbacApi.RoleNotFound();
        }

        if (!RbacApi.MayChange(http, found))
        {
            return RbacApi.Forbidden("A user's token may only change roles of its own tenant.");
        }

        if (found.Type == RbacType.Predefined)
        {
            return ApiErrors.BadRequest("role_predefined", "A predefined role cannot be changed.");
        }

        var violations = new ConstraintViolations();
        var current = RbacLists.Node(RoleJson.From(found));
        foreach (var member in ImmutableMembers)
        {
            if (body.TryGetPropertyValue(member, out var given) && !JsonNode.DeepEquals(given, current[member]))
            {
                violations.Add(member, ViolationCodes.InvalidValue, new Dictionary<string, object> { ["immutable"] = true });
            }
        }

        var displayName = PatchBody.String(body, "displayName");
        var description = PatchBody.String(body, "description");
        var boundaryId = PatchBody.String(body, "permissionBoundaryId");
        foreach (var (field, wrong) in new[] { ("displayName", displayName.WrongType), ("description", description.WrongType), ("permissionBoundaryId", boundaryId.WrongType) })
        {
            if (wrong)
            {
                violations.Add(field, ViolationCodes.InvalidValue);
            }
        }

        if (displayName.Present && !displayName.WrongType)
        {
            RbacRules.CheckText("displayName", displayName.Value, RbacRules.DisplayNameMaxLength, required: true, violations);
        }

        if (description.Present && !description.WrongType)
        {
            RbacRules.CheckText("description", description.Value, RbacRules.DescriptionMaxLength, required: false, violations);
        }

        PermissionBoundary? boundary = null;
        if (boundaryId.Value is not null)
        {
            boundary = await RbacApi.BoundaryAsync(db, boundaryId.Value, cancellationToken);
            if (boundary is null)
            {
                violations.Add("permissionBoundaryId", ViolationCodes.InvalidValue);
            }
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        if (boundaryId.Present && boundaryId.Value != found.PermissionBoundaryId)
        {
            // A new boundary re-grants the role's own permissions with another reach: the caller must hold them that far.
            var values = await db.RolePermissions.Where(rp => rp.RoleId == found.Id)
                .Join(db.Permissions, rp => rp.PermissionId, p => p.Id, (_, p) => p.Value).ToListAsync(cancellationToken);
            if (!RbacApi.MayGrant(caller, values.Select(v => new PermissionGrant(v, boundary)), found.TenantId))
            {
                Log.EscalationRefused(logger, caller.SubjectId, caller.TenantId ?? "");
                return RbacApi.Forbidden("The caller may not grant permissions it does not hold.");
            }
        }

        if (found.TenantId is not null)
        {
            scope.Enter(http.RequiredApplication().Id, found.TenantId);
        }

        var role = await db.Roles.AsTracking().FirstAsync(r => r.Id == found.Id, cancellationToken);
        if (displayName.Present)
        {
            role.DisplayName = displayName.Value!.Trim();
        }

        if (description.Present)
        {
            role.Description = string.IsNullOrWhiteSpace(description.Value) ? null : description.Value.Trim();
        }

        if (boundaryId.Present)
        {
            role.PermissionBoundaryId = boundaryId.Value;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The version changed under us, or the boundary was deleted between the check and the save.
            return ApiErrors.Base(StatusCodes.Status409Conflict, "conflict", "Another request changed this role at the same time; retry.");
        }

        Log.RoleUpdated(logger, role.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Ok(RoleJson.From(role));
    }

    private static async Task<IResult> UnassignPermissionsAsync(
        string id, AssignPermissionsRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var violations = new ConstraintViolations();
        var ids = RbacRules.Ids("permissionIds", body.PermissionIds, violations);
        if (ids is null)
        {
            return ApiErrors.Violations(violations);
        }

        var role = await RbacApi.FindRoleAsync(http, db, scope, id, cancellationToken);
        if (role is null)
        {
            return RbacApi.RoleNotFound();
        }

        if (!RbacApi.MayChange(http, role))
        {
            return RbacApi.Forbidden("A user's token may only change roles of its own tenant.");
        }

        var values = await db.Permissions.Where(p => ids.Contains(p.Id)).Select(p => p.Value).ToListAsync(cancellationToken);
        if (values.Count != ids.Count)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("permissionIds", ViolationCodes.InvalidValue));
        }

        // Taking away is held to the same rule as giving: a tenant admin cannot strip rights it could not grant.
        var boundary = await RbacApi.BoundaryAsync(db, role.PermissionBoundaryId, cancellationToken);
        if (!RbacApi.MayGrant(caller, values.Select(v => new PermissionGrant(v, boundary)), role.TenantId))
        {
            Log.EscalationRefused(logger, caller.SubjectId, caller.TenantId ?? "");
            return RbacApi.Forbidden("The caller may not change permissions it does not hold.");
        }

        var removed = await db.RolePermissions.Where(rp => rp.RoleId == role.Id && ids.Contains(rp.PermissionId)).ExecuteDeleteAsync(cancellationToken);
        Log.PermissionsUnassigned(logger, removed, role.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ChangeGroupsAsync(
        string id, AssignPermissionGroupsRequest body, bool assign, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var violations = new ConstraintViolations();
        var ids = RbacRules.Ids("permissionGroupIds", body.PermissionGroupIds, violations);
        if (ids is null)
        {
            return ApiErrors.Violations(violations);
        }

        var role = await RbacApi.FindRoleAsync(http, db, scope, id, cancellationToken);
        if (role is null)
        {
            return RbacApi.RoleNotFound();
        }

        if (!RbacApi.MayChange(http, role))
        {
            return RbacApi.Forbidden("A user's token may only change roles of its own tenant.");
        }

        if (await db.PermissionGroups.CountAsync(g => ids.Contains(g.Id), cancellationToken) != ids.Count)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("permissionGroupIds", ViolationCodes.InvalidValue));
        }

        if (!RbacApi.MayGrant(caller, await RbacApi.GrantsOfGroupsAsync(db, ids, cancellationToken), role.TenantId))
        {
            Log.EscalationRefused(logger, caller.SubjectId, caller.TenantId ?? "");
            return RbacApi.Forbidden("The caller may not grant permissions it does not hold.");
        }

        int changed;
        if (assign)
        {
            var held = await db.RolePermissionGroups.Where(rg => rg.RoleId == role.Id && ids.Contains(rg.PermissionGroupId))
                .Select(rg => rg.PermissionGroupId).ToListAsync(cancellationToken);
            var added = ids.Except(held, StringComparer.Ordinal).ToList();
            foreach (var groupId in added)
            {
                db.RolePermissionGroups.Add(new RolePermissionGroup { RoleId = role.Id, PermissionGroupId = groupId });
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
            changed = await db.RolePermissionGroups.Where(rg => rg.RoleId == role.Id && ids.Contains(rg.PermissionGroupId)).ExecuteDeleteAsync(cancellationToken);
        }

        Log.RoleGroupsChanged(logger, role.Id, assign ? "assigned" : "unassigned", changed, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }
}

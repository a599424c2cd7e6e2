using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// Role and permission management on the application host: create, read and delete roles, create
/// permissions, and give a role permissions. Application roles and permissions are application-wide, so
/// only a client's token (application boundary) may create or change them; a user's token manages its
/// own tenant's roles.
/// </summary>
internal static class RoleEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost("/roles", CreateRoleAsync).RequirePermission("role:create");
        api.MapGet("/roles/{id}", GetRoleAsync).RequirePermission("role:read");
        api.MapDelete("/roles/{id}", DeleteRoleAsync).RequirePermission("role:delete");
        api.MapPost("/roles/{id}/assign-permissions", AssignPermissionsAsync).RequirePermission("role:write");
        api.MapPost("/permissions", CreatePermissionAsync).RequirePermission("permission:create");
    }

    private static async Task<IResult> CreateRoleAsync(
        CreateRoleRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, TimeProvider time, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var application = http.RequiredApplication();
        var violations = new ConstraintViolations();
        RbacRules.CheckName(body.Name, violations);
        RbacRules.CheckText("displayName", body.DisplayName, RbacRules.DisplayNameMaxLength, required: true, violations);
        RbacRules.CheckText("description", body.Description, RbacRules.DescriptionMaxLength, required: false, violations);
        if (string.IsNullOrEmpty(body.OwnerType))
        {
            violations.Add("ownerType", ViolationCodes.Required);
        }
        else if (body.OwnerType is not (RoleOwner.Application or RoleOwner.Tenant))
        {
            violations.Add("ownerType", ViolationCodes.InvalidValue);
        }

        if (string.IsNullOrEmpty(body.OwnerId))
        {
            violations.Add("ownerId", ViolationCodes.Required);
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        string prefix;
        string? tenantId = null;
        if (body.OwnerType == RoleOwner.Application)
        {
            if (!http.CallerReachesApplication())
            {
                return RbacApi.Forbidden("Only a caller whose grant reaches the whole application may create application roles.");
            }

            if (!string.Equals(body.OwnerId, application.Id, StringComparison.Ordinal))
            {
                return ApiErrors.Violations(ConstraintViolations.Single("ownerId", ViolationCodes.InvalidValue));
            }

            prefix = RbacRules.ApplicationPrefix(application.Name);
        }
        else
        {
            if (!http.CallerReach().CoversTenant(body.OwnerId!))
            {
                return RbacApi.Forbidden("The caller may not act for this tenant.");
            }

            var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == body.OwnerId, cancellationToken);
            if (tenant is null || tenant.Status == TenantStatus.DeleteInProgress)
            {
                return ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "The tenant does not exist.");
            }

            scope.Enter(application.Id, tenant.Id);
            prefix = RbacRules.TenantPrefix(tenant.Name);
            tenantId = tenant.Id;
        }

        var name = prefix + body.Name;
        if (await db.Roles.IgnoreQueryFilters([QueryFilters.Tenant]).AnyAsync(r => r.Name == name, cancellationToken))
        {
            return NameTaken();
        }

        var role = new Role
        {
            Id = LanyardId.New(time),
            TenantId = tenantId,
            Name = name,
            DisplayName = body.DisplayName!.Trim(),
            Description = string.IsNullOrWhiteSpace(body.Description) ? null : body.Description.Trim(),
            Type = RbacType.Custom,
        };
        db.Roles.Add(role);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            return NameTaken(); // a parallel request took the name between the check and the insert
        }

        Log.RoleCreated(logger, role.Id, body.OwnerType!, body.OwnerId!, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Created($"/api/v1/roles/{role.Id}", RoleJson.From(role));
    }

    private static async Task<IResult> GetRoleAsync(string id, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        var role = await RbacApi.FindRoleAsync(http, db, scope, id, cancellationToken);
        return role is null ? RbacApi.RoleNotFound() : TypedResults.Ok(RoleJson.From(role));
    }

    private static async Task<IResult> DeleteRoleAsync(
        string id, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var role = await RbacApi.FindRoleAsync(http, db, scope, id, cancellationToken);
        if (role is null)
        {
            return RbacApi.RoleNotFound();
        }

        if (!RbacApi.MayChange(http, role))
        {
            return RbacApi.Forbidden("A user's token may only delete roles of its own tenant.");
        }

        if (role.Type == RbacType.Predefined)
        {
            return ApiErrors.BadRequest("role_predefined", "A predefined role cannot be deleted.");
        }

        // The role's assignments go with it, in every tenant that holds it (an application role is held
        // across tenants): the tenant filter is lifted on purpose, bounded by a role id of this application.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.UserRoles.IgnoreQueryFilters([QueryFilters.Tenant]).Where(ur => ur.RoleId == role.Id).ExecuteDeleteAsync(cancellationToken);
        await db.ClientRoles.Where(cr => cr.RoleId == role.Id).ExecuteDeleteAsync(cancellationToken);
        await db.RolePermissions.Where(rp => rp.RoleId == role.Id).ExecuteDeleteAsync(cancellationToken);
        await db.RolePermissionGroups.Where(rg => rg.RoleId == role.Id).ExecuteDeleteAsync(cancellationToken);
        await db.Roles.IgnoreQueryFilters([QueryFilters.Tenant]).Where(r => r.Id == role.Id).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        Log.RoleDeleted(logger, role.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> AssignPermissionsAsync(
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

        var permissions = await db.Permissions.Where(p => ids.Contains(p.Id)).Select(p => new { p.Id, p.Value }).ToListAsync(cancellationToken);
        if (permissions.Count != ids.Count)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("permissionIds", ViolationCodes.InvalidValue));
        }

        var boundary = await RbacApi.BoundaryAsync(db, role.PermissionBoundaryId, cancellationToken);
        if (!RbacApi.MayGrant(caller, permissions.Select(p => new PermissionGrant(p.Value, boundary)), role.TenantId))
        {
            Log.EscalationRefused(logger, caller.SubjectId, caller.TenantId ?? "");
            return RbacApi.Forbidden("The caller may not grant permissions it does not hold.");
        }

        var held = await db.RolePermissions.Where(rp => rp.RoleId == role.Id && ids.Contains(rp.PermissionId))
            .Select(rp => rp.PermissionId).ToListAsync(cancellationToken);
        var added = ids.Except(held, StringComparer.Ordinal).ToList();
        foreach (var permissionId in added)
        {
            db.RolePermissions.Add(new RolePermission { RoleId = role.Id, PermissionId = permissionId });
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            return RbacApi.Conflict();
        }

        Log.PermissionsAssigned(logger, added.Count, role.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> CreatePermissionAsync(
        CreatePermissionRequest body, HttpContext http, LanyardDbContext db, TimeProvider time, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        if (!http.CallerReachesApplication())
        {
            return RbacApi.Forbidden("Permissions belong to the application; only a caller whose grant reaches the whole application may create them.");
        }

        var violations = new ConstraintViolations();
        var value = body.Value;
        RbacRules.CheckText("value", value, RbacRules.PermissionValueMaxLength, required: true, violations);
        // A comma or a space would make a value impossible to ask about in permission-info's comma-separated list.
        if (violations.IsEmpty && value!.Any(c => c == ',' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            violations.Add("value", ViolationCodes.InvalidFormat);
        }

        RbacRules.CheckText("description", body.Description, RbacRules.DescriptionMaxLength, required: false, violations);
        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        if (await db.Permissions.AnyAsync(p => p.Value == value, cancellationToken))
        {
            return ValueTaken();
        }

        var permission = new Permission
        {
            Id = LanyardId.New(time),
            Value = value!,
            Description = string.IsNullOrWhiteSpace(body.Description) ? null : body.Description.Trim(),
            Type = RbacType.Custom,
            CreatedAt = time.GetUtcNow(),
        };
        db.Permissions.Add(permission);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            return ValueTaken();
        }

        Log.PermissionCreated(logger, permission.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Created((string?)null, PermissionJson.From(permission));
    }

    private static IResult NameTaken() => ApiErrors.Violations(ConstraintViolations.Single("name", ViolationCodes.NotUnique));

    private static IResult ValueTaken() => ApiErrors.Violations(ConstraintViolations.Single("value", ViolationCodes.NotUnique));
}

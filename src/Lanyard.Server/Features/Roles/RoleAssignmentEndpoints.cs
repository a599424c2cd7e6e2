using System.Globalization;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// Who holds which role: a user's roles (assign, unassign, list), a machine-to-machine client's roles,
/// and <c>permission-info</c>, the question "which of these permissions do I hold?" that any valid token
/// may ask about itself. Every user operation runs in the user's tenant scope.
/// </summary>
internal static class RoleAssignmentEndpoints
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 100;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost("/users/{userId}/assign-roles", (string userId, AssignRolesRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken ct) =>
            ChangeUserRolesAsync(userId, body, assign: true, http, db, scope, logger, ct)).RequirePermission("user:write");
        api.MapPost("/users/{userId}/unassign-roles", (string userId, AssignRolesRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken ct) =>
            ChangeUserRolesAsync(userId, body, assign: false, http, db, scope, logger, ct)).RequirePermission("user:write");
        api.MapGet("/users/{userId}/roles", ListUserRolesAsync).RequirePermission("user:read");
        api.MapPost("/clients/{clientId}/assign-roles", (string clientId, AssignRolesRequest body, HttpContext http, LanyardDbContext db, ILogger<Role> logger, CancellationToken ct) =>
            ChangeClientRolesAsync(clientId, body, assign: true, http, db, logger, ct)).RequirePermission("client:write");
        api.MapPost("/clients/{clientId}/unassign-roles", (string clientId, AssignRolesRequest body, HttpContext http, LanyardDbContext db, ILogger<Role> logger, CancellationToken ct) =>
            ChangeClientRolesAsync(clientId, body, assign: false, http, db, logger, ct)).RequirePermission("client:write");
        // Cast: a handler taking only HttpContext would otherwise bind as a RequestDelegate and drop its IResult.
        api.MapGet("/permission-info", (Delegate)PermissionInfoAsync);
    }

    private static async Task<IResult> ChangeUserRolesAsync(
        string userId, AssignRolesRequest body, bool assign, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var violations = new ConstraintViolations();
        var ids = RbacRules.Ids("roleIds", body.RoleIds, violations);
        if (ids is null)
        {
            return ApiErrors.Violations(violations);
        }

        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        if (user is null)
        {
            return RbacApi.UserNotFound();
        }

        // In the user's tenant scope the filter shows application roles and this tenant's roles only.
        var visible = await db.Roles.Where(r => ids.Contains(r.Id)).CountAsync(cancellationToken);
        if (visible != ids.Count)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("roleIds", ViolationCodes.InvalidValue));
        }

        if (!RbacApi.MayGrant(caller, await RbacApi.GrantsOfRolesAsync(db, ids, cancellationToken), user.TenantId))
        {
            Log.EscalationRefused(logger, caller.SubjectId, caller.TenantId ?? "");
            return RbacApi.Forbidden("The caller may not assign or remove roles with permissions it does not hold.");
        }

        int changed;
        if (assign)
        {
            var held = await db.UserRoles.Where(ur => ur.UserId == user.Id && ids.Contains(ur.RoleId)).Select(ur => ur.RoleId).ToListAsync(cancellationToken);
            var added = ids.Except(held, StringComparer.Ordinal).ToList();
            foreach (var roleId in added)
            {
                db.UserRoles.Add(new UserRole { UserId = user.Id, RoleId = roleId });
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
            changed = await db.UserRoles.Where(ur => ur.UserId == user.Id && ids.Contains(ur.RoleId)).ExecuteDeleteAsync(cancellationToken);
        }

        Log.UserRolesChanged(logger, user.Id, user.TenantId, assign ? "assigned" : "unassigned", changed, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ListUserRolesAsync(string userId, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        var startIndex = ReadInt(http, "start_index", 1, 1, int.MaxValue, violations);
        var count = ReadInt(http, "count", DefaultPageSize, 0, MaxPageSize, violations);
        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        if (user is null)
        {
            return RbacApi.UserNotFound();
        }

        var roles = db.UserRoles.Where(ur => ur.UserId == user.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r);
        var total = await roles.CountAsync(cancellationToken);
        var page = count == 0
            ? []
            : await roles.OrderBy(r => r.Name).ThenBy(r => r.Id).Skip(startIndex - 1).Take(count).AsNoTracking().ToListAsync(cancellationToken);
        return TypedResults.Ok(new RolePage(total, startIndex, page.Count, [.. page.Select(RoleJson.From)]));
    }

    private static async Task<IResult> ChangeClientRolesAsync(
        string clientId, AssignRolesRequest body, bool assign, HttpContext http, LanyardDbContext db, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        if (!http.CallerReachesApplication())
        {
            return RbacApi.Forbidden("Clients belong to the application; only a caller whose grant reaches the whole application may change their roles.");
        }

        var violations = new ConstraintViolations();
        var ids = RbacRules.Ids("roleIds", body.RoleIds, violations);
        if (ids is null)
        {
            return ApiErrors.Violations(violations);
        }

        var client = await db.Clients.AsNoTracking().Where(c => c.Id == clientId).Select(c => new { c.Id, c.Type }).FirstOrDefaultAsync(cancellationToken);
        if (client is null)
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "client_not_found", "The client does not exist.");
        }

        if (client.Type != OAuthClientType.MachineToMachine)
        {
            return ApiErrors.BadRequest("invalid_client_type", "Only machine-to-machine clients hold roles.");
        }

        // No tenant is in scope here, so the filter shows application roles only: a tenant role cannot go to a client.
        var visible = await db.Roles.Where(r => ids.Contains(r.Id)).CountAsync(cancellationToken);
        if (visible != ids.Count)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("roleIds", ViolationCodes.InvalidValue));
        }

        int changed;
        if (assign)
        {
            var held = await db.ClientRoles.Where(cr => cr.ClientId == client.Id && ids.Contains(cr.RoleId)).Select(cr => cr.RoleId).ToListAsync(cancellationToken);
            var added = ids.Except(held, StringComparer.Ordinal).ToList();
            foreach (var roleId in added)
            {
                db.ClientRoles.Add(new ClientRole { ClientId = client.Id, RoleId = roleId });
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
            changed = await db.ClientRoles.Where(cr => cr.ClientId == client.Id && ids.Contains(cr.RoleId)).ExecuteDeleteAsync(cancellationToken);
        }

        Log.ClientRolesChanged(logger, client.Id, assign ? "assigned" : "unassigned", changed, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// <c>GET /api/v1/permission-info?values=a,b</c>: the asked permissions the caller holds through its roles.
    /// Any valid access token may ask about itself; there is no permission to hold for it.
    /// </summary>
    private static async Task<IResult> PermissionInfoAsync(HttpContext http)
    {
        var caller = await ApiAuthorizationFilter.AuthenticateAsync(http);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"lanyard\", error=\"invalid_token\"";
            return ApiErrors.Base(StatusCodes.Status401Unauthorized, "invalid_token", "A valid access token is required (Authorization: Bearer).");
        }

        var values = http.Request.Query["values"]
            .SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal).ToList();
        if (values.Count == 0)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("values", ViolationCodes.Required));
        }

        if (values.Count > RbacRules.MaxIdsPerRequest)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("values", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = RbacRules.MaxIdsPerRequest }));
        }

        List<PermissionInfoItem> held = [.. values.Where(caller.Permissions.Contains).Select(v => new PermissionInfoItem(v))];
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new PermissionInfo(held, held.Count));
    }

    private static int ReadInt(HttpContext http, string name, int fallback, int min, int max, ConstraintViolations violations)
    {
        var raw = http.Request.Query[name].ToString();
        if (raw.Length == 0)
        {
            return fallback;
        }

        if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            violations.Add(name, ViolationCodes.InvalidValue);
            return fallback;
        }

        return value;
    }
}

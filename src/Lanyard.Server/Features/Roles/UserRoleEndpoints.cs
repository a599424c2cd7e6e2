using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Roles;

/// <summary>
/// The rest of role assignment: replacing a user's roles in one call, reading many users' roles at once, and
/// "which roles may I give this user (or client)?" — roles visible where the holder lives whose every grant the
/// caller could hand out itself (<see cref="RbacApi.MayGrant"/>), so a UI offers exactly what assign-roles accepts.
/// </summary>
internal static class UserRoleEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery().WithTags("Role assignment");
        api.MapPut("/users/{userId}/roles", ReplaceUserRolesAsync).RequirePermission("user:write");
        api.MapPost("/users/resolve-assigned-roles", ResolveAssignedRolesAsync).RequirePermission("user:read");
        api.MapPost("/users/{userId}/resolve-assignable-roles", ResolveAssignableToUserAsync).RequirePermission("user:write");
        api.MapPost("/clients/{clientId}/resolve-assignable-roles", ResolveAssignableToClientAsync).RequirePermission("client:write");
    }

    private static async Task<IResult> ReplaceUserRolesAsync(
        string userId, ReplaceRolesRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Role> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var ids = ReadIds("roleIds", body.RoleIds, allowEmpty: true, out var invalid);
        if (ids is null)
        {
            return invalid!;
        }

        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        if (user is null)
        {
            return RbacApi.UserNotFound();
        }

        // In the user's tenant scope the filter shows application roles and this tenant's roles only.
        if (await db.Roles.CountAsync(r => ids.Contains(r.Id), cancellationToken) != ids.Count)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("roleIds", ViolationCodes.InvalidValue));
        }

        var current = await db.UserRoles.Where(ur => ur.UserId == user.Id).Select(ur => ur.RoleId).ToListAsync(cancellationToken);
        var added = ids.Except(current, StringComparer.Ordinal).ToList();
        var removed = current.Except(ids, StringComparer.Ordinal).ToList();
        if (!RbacApi.MayGrant(caller, await RbacApi.GrantsOfRolesAsync(db, [.. added, .. removed], cancellationToken), user.TenantId))
        {
            Log.EscalationRefused(logger, caller.SubjectId, caller.TenantId ?? "");
            return RbacApi.Forbidden("The caller may not assign or remove roles with permissions it does not hold.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.UserRoles.Where(ur => ur.UserId == user.Id && removed.Contains(ur.RoleId)).ExecuteDeleteAsync(cancellationToken);
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

        await transaction.CommitAsync(cancellationToken);
        Log.UserRolesChanged(logger, user.Id, user.TenantId, "replaced", added.Count + removed.Count, caller.SubjectKind, caller.SubjectId);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The roles of up to 100 users in one call, in the order asked. A user the caller does not reach (another
    /// tenant's, or unknown) is a failure with its index, exactly as if it did not exist.
    /// </summary>
    private static async Task<IResult> ResolveAssignedRolesAsync(
        ResolveAssignedRolesRequest body, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        var asked = body.UserIds;
        if (asked is null || asked.Count == 0)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("userIds", ViolationCodes.Required));
        }

        if (asked.Count > RbacRules.MaxIdsPerRequest)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("userIds", ViolationCodes.TooLong,
                new Dictionary<string, object> { ["maxItems"] = RbacRules.MaxIdsPerRequest }));
        }

        // A client's scope has no tenant: the tenant filter is lifted for these reads and every user is then
        // checked against the caller's reach. A user's scope keeps its tenant's filter.
        var liftTenant = scope.TenantId is null;
        var ids = asked.Where(id => !string.IsNullOrEmpty(id) && id.Length <= 26).Distinct(StringComparer.Ordinal).ToList();
        var users = liftTenant ? db.Users.IgnoreQueryFilters([QueryFilters.Tenant]) : db.Users;
        var found = await users.Where(u => ids.Contains(u.Id))
            .Join(db.Tenants.Where(t => t.Status != TenantStatus.DeleteInProgress), u => u.TenantId, t => t.Id, (u, _) => new { u.Id, u.TenantId })
            .ToListAsync(cancellationToken);
        var reached = found.Where(u => http.CallerReaches(u.TenantId, u.Id)).Select(u => u.Id).ToHashSet(StringComparer.Ordinal);

        var reachedIds = reached.ToList();
        var assignments = liftTenant ? db.UserRoles.IgnoreQueryFilters([QueryFilters.Tenant]) : db.UserRoles;
        var roles = liftTenant ? db.Roles.IgnoreQueryFilters([QueryFilters.Tenant]) : db.Roles;
        var held = await assignments.Where(ur => reachedIds.Contains(ur.UserId))
            .Join(roles, ur => ur.RoleId, r => r.Id, (ur, r) => new { ur.UserId, Role = r })
            .AsNoTracking().ToListAsync(cancellationToken);
        var byUser = held.ToLookup(h => h.UserId, h => h.Role, StringComparer.Ordinal);

        var items = new List<AssignedRolesItem>();
        var failures = new List<ResolveFailure>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < asked.Count; index++)
        {
            var id = asked[index];
            if (id is not null && reached.Contains(id))
            {
                if (seen.Add(id))
                {
                    items.Add(new AssignedRolesItem(id, [.. byUser[id].OrderBy(r => r.Name, StringComparer.Ordinal).Select(RoleJson.From)]));
                }
            }
            else
            {
                failures.Add(new ResolveFailure("user_not_found", "The user does not exist.", index, id));
            }
        }

        return TypedResults.Ok(new AssignedRolesAnswer(items, failures));
    }

    private static async Task<IResult> ResolveAssignableToUserAsync(
        string userId, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        var user = await ApiScope.EnterUserTenantAsync(http, db, scope, userId, cancellationToken);
        if (user is null)
        {
            return RbacApi.UserNotFound();
        }

        // In the user's tenant scope: the application's roles and this tenant's.
        return TypedResults.Ok(await AssignableAsync(http.RequiredCaller(), db, db.Roles, user.TenantId, cancellationToken));
    }

    private static async Task<IResult> ResolveAssignableToClientAsync(string clientId, HttpContext http, LanyardDbContext db, CancellationToken cancellationToken)
    {
        if (!http.CallerReachesApplication())
        {
            return RbacApi.NotApplicationWide("Clients");
        }

        var client = await db.Clients.AsNoTracking().Where(c => c.Id == clientId).Select(c => new { c.Type }).FirstOrDefaultAsync(cancellationToken);
        if (client is null)
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "client_not_found", "The client does not exist.");
        }

        if (client.Type != OAuthClientType.MachineToMachine)
        {
            return ApiErrors.BadRequest("invalid_client_type", "Only machine-to-machine clients hold roles.");
        }

        // No tenant in scope: the filter shows application roles only, the only ones a client may hold.
        return TypedResults.Ok(await AssignableAsync(http.RequiredCaller(), db, db.Roles, null, cancellationToken));
    }

    private static async Task<AssignableRolesAnswer> AssignableAsync(
        ApiCaller caller, LanyardDbContext db, IQueryable<Role> visible, string? tenantId, CancellationToken cancellationToken)
    {
        var roles = await visible.AsNoTracking().OrderBy(r => r.Name).ToListAsync(cancellationToken);
        var grants = await RbacApi.GrantsByRoleAsync(db, [.. roles.Select(r => r.Id)], cancellationToken);
        List<RoleJson> assignable = [.. roles.Where(r => RbacApi.MayGrant(caller, grants[r.Id], tenantId)).Select(RoleJson.From)];
        return new AssignableRolesAnswer(assignable, assignable.Count);
    }

    /// <summary>The distinct ids of a request body, or the violation answer (missing, too many, malformed).</summary>
    private static List<string>? ReadIds(string field, IReadOnlyList<string>? ids, bool allowEmpty, out IResult? invalid)
    {
        invalid = null;
        if (ids is null || (!allowEmpty && ids.Count == 0))
        {
            invalid = ApiErrors.Violations(ConstraintViolations.Single(field, ViolationCodes.Required));
            return null;
        }

        if (ids.Count == 0)
        {
            return [];
        }

        var violations = new ConstraintViolations();
        var read = RbacRules.Ids(field, ids, violations);
        invalid = read is null ? ApiErrors.Violations(violations) : null;
        return read;
    }
}

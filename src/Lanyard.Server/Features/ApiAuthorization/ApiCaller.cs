using Lanyard.Server.Common;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.ApiAuthorization;

/// <summary>Endpoint metadata naming the permission an endpoint requires (read by the API reference).</summary>
internal sealed record RequiredPermission(string Permission);

/// <summary>One permission the caller holds through a role or permission group, and that holder's boundary (null: natural).</summary>
internal sealed record PermissionGrant(string Permission, PermissionBoundary? Boundary);

/// <summary>
/// Who called an API: a machine-to-machine client, or a user through an application's access token, with
/// every permission it holds and where each reaches. A boundary-less grant reaches the holder's natural
/// scope: the whole application for a client, the user's own tenant for a user. A user's grants never
/// reach past its own tenant, whatever their boundary (docs/adr/0007): a tenant's admin is not an
/// application operator, and tenant isolation must not hang on how a role was configured.
/// </summary>
/// <param name="SubjectKind"><c>client</c> or <c>user</c>.</param>
/// <param name="TenantId">The user's tenant, to which its token confines the request; null for a client.</param>
internal sealed record ApiCaller(string SubjectKind, string SubjectId, string? TenantId, IReadOnlyList<PermissionGrant> Grants)
{
    private readonly Dictionary<string, TenantReach> _reach = new(StringComparer.Ordinal);

    public bool IsClient => SubjectKind == "client";

    /// <summary>The permission values held, whatever their reach.</summary>
    public IReadOnlySet<string> Permissions { get; } = Grants.Select(g => g.Permission).ToHashSet(StringComparer.Ordinal);

    /// <summary>Where the caller's grants of <paramref name="permission"/> reach (empty when it lacks it).</summary>
    public TenantReach Reach(string permission)
    {
        if (_reach.TryGetValue(permission, out var known))
        {
            return known;
        }

        var reach = new TenantReach();
        foreach (var grant in Grants.Where(g => g.Permission == permission))
        {
            if (IsClient)
            {
                AddClientReach(reach, grant.Boundary);
            }
            else
            {
                AddUserReach(reach, grant.Boundary);
            }
        }

        _reach[permission] = reach;
        return reach;
    }

    /// <summary>Whether <paramref name="permission"/> reaches an object of <paramref name="tenantId"/> (the user <paramref name="userId"/>, when it is one).</summary>
    public bool Reaches(string permission, string tenantId, string? userId = null) => Reach(permission).Covers(tenantId, userId);

    private static void AddClientReach(TenantReach reach, PermissionBoundary? boundary)
    {
        switch (boundary)
        {
            case null or { Type: PermissionBoundaryType.Predefined, Value: PredefinedBoundary.Application }:
                reach.AddEverywhereExcept([]);
                break;
            case { Type: PermissionBoundaryType.TenantInclusionList }:
                reach.AddTenants(boundary.ResourceList);
                break;
            case { Type: PermissionBoundaryType.TenantExclusionList }:
                reach.AddEverywhereExcept(boundary.ResourceList);
                break;

            // TENANT and SELF describe a user's own tenant and own object; an application's client has neither.
        }
    }

    private void AddUserReach(TenantReach reach, PermissionBoundary? boundary)
    {
        var tenantId = TenantId!;
        var reachesOwnTenant = boundary switch
        {
            null => true,
            { Type: PermissionBoundaryType.Predefined, Value: PredefinedBoundary.Self } => false,
            { Type: PermissionBoundaryType.Predefined } => true,
            { Type: PermissionBoundaryType.TenantInclusionList } => boundary.ResourceList.Contains(tenantId),
            { Type: PermissionBoundaryType.TenantExclusionList } => !boundary.ResourceList.Contains(tenantId),
            _ => false,
        };
        if (reachesOwnTenant)
        {
            reach.AddTenants([tenantId]);
        }
        else if (boundary is { Type: PermissionBoundaryType.Predefined, Value: PredefinedBoundary.Self })
        {
            reach.AddSelf(tenantId, SubjectId);
        }
    }
}

/// <summary>
/// Bearer authentication and permission checks for <c>/api/v1</c> resource and workflow APIs. The token
/// must be an access token this application issued and still honours; the caller's permissions are the
/// union over its roles and their permission groups. No token or a bad one → 401; a permission held
/// nowhere → 403. Which object a held permission reaches (tenant, inclusion/exclusion list, self) is
/// asked by the endpoint through <see cref="CallerReaches"/>, and an object out of reach answers 404.
/// </summary>
internal static class ApiAuthorizationFilter
{
    private const string ItemKey = "lanyard.api_caller";
    private const string PermissionKey = "lanyard.api_permission";

    public static RouteHandlerBuilder RequirePermission(this RouteHandlerBuilder builder, string permission) =>
        builder.WithMetadata(new RequiredPermission(permission)).AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var caller = await AuthenticateAsync(http);
            if (caller is null)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"lanyard\", error=\"invalid_token\"";
                return ApiErrors.Base(StatusCodes.Status401Unauthorized, "invalid_token", "A valid access token is required (Authorization: Bearer).");
            }

            if (caller.Reach(permission).IsEmpty)
            {
                return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", $"The caller lacks the permission {permission}.");
            }

            http.Items[ItemKey] = caller;
            http.Items[PermissionKey] = permission;
            return await next(context);
        });

    public static ApiCaller RequiredCaller(this HttpContext http) =>
        http.Items[ItemKey] as ApiCaller ?? throw new InvalidOperationException("The endpoint has no RequirePermission filter.");

    /// <summary>Where the permission this endpoint requires reaches for its caller.</summary>
    public static TenantReach CallerReach(this HttpContext http) =>
        http.RequiredCaller().Reach(http.Items[PermissionKey] as string ?? throw new InvalidOperationException("The endpoint has no RequirePermission filter."));

    /// <summary>Whether the endpoint's permission reaches the application itself (its own settings, roles, permissions, clients): every tenant, none excluded.</summary>
    public static bool CallerReachesApplication(this HttpContext http) => http.CallerReach().IsUnbounded;

    /// <summary>
    /// Whether the endpoint's permission reaches an object of <paramref name="tenantId"/> (or the user
    /// <paramref name="userId"/>). Endpoints answer 404 when it does not, so a probe learns nothing about
    /// objects outside the caller's reach.
    /// </summary>
    public static bool CallerReaches(this HttpContext http, string tenantId, string? userId = null) => http.CallerReach().Covers(tenantId, userId);

    /// <summary>The caller of a valid bearer token, or null. Also used directly by endpoints any valid token may call (permission-info).</summary>
    internal static async Task<ApiCaller?> AuthenticateAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 8192)
        {
            return null;
        }

        var services = http.RequestServices;
        var application = http.RequiredApplication();
        var claims = await UserinfoEndpoint.ValidateAsync(
            header[7..].Trim(), application, services.GetRequiredService<SigningKeyRing>(), services.GetRequiredService<TimeProvider>(), http.RequestAborted);
        var kind = claims?.Claim("sub_kind");
        var subject = claims?.Claim("sub");
        if (claims is null || subject is null)
        {
            return null;
        }

        var db = services.GetRequiredService<LanyardDbContext>();
        if (kind == "client")
        {
            var client = await db.Clients.AsNoTracking().Where(c => c.Id == subject).Select(c => new { c.Id }).FirstOrDefaultAsync(http.RequestAborted);
            if (client is null)
            {
                return null;
            }

            var clientRoles = db.ClientRoles.Where(cr => cr.ClientId == subject).Select(cr => cr.RoleId);
            var clientGrants = await GrantsAsync(db, clientRoles, http.RequestAborted);
            return new ApiCaller("client", subject, null, clientGrants);
        }

        if (kind == "user" && claims.Claim("tnt_id") is { } tenantId && claims.Claim("gid") is { } grantId)
        {
            if (!await db.Grants.AnyAsync(g => g.Id == grantId && g.RevokedAt == null, http.RequestAborted))
            {
                return null;
            }

            // A user token narrows this request's scope to the user's tenant: everything it reads from here on is that tenant's.
            services.GetRequiredService<TenantContext>().Enter(application.Id, tenantId);
            var active = await db.Users.AnyAsync(u => u.Id == subject && u.Status == Users.UserStatus.Active, http.RequestAborted);
            if (!active)
            {
                return null;
            }

            var userRoles = db.UserRoles.Where(ur => ur.UserId == subject).Select(ur => ur.RoleId);
            var userGrants = await GrantsAsync(db, userRoles, http.RequestAborted);
            return new ApiCaller("user", subject, tenantId, userGrants);
        }

        return null;
    }

    /// <summary>
    /// Every (permission, boundary) the roles carry: their own permissions under the role's boundary, and
    /// their permission groups' permissions under each group's boundary.
    /// </summary>
    private static async Task<List<PermissionGrant>> GrantsAsync(LanyardDbContext db, IQueryable<string> roleIds, CancellationToken cancellationToken)
    {
        var direct = await db.Roles.Where(r => roleIds.Contains(r.Id))
            .Join(db.RolePermissions, r => r.Id, rp => rp.RoleId, (r, rp) => new { r.PermissionBoundaryId, rp.PermissionId })
            .Join(db.Permissions, x => x.PermissionId, p => p.Id, (x, p) => new { x.PermissionBoundaryId, p.Value })
            .Distinct().ToListAsync(cancellationToken);
        var grouped = await db.RolePermissionGroups.Where(rg => roleIds.Contains(rg.RoleId))
            .Join(db.PermissionGroups, rg => rg.PermissionGroupId, g => g.Id, (_, g) => new { g.Id, g.PermissionBoundaryId })
            .Join(db.PermissionGroupPermissions, g => g.Id, gp => gp.PermissionGroupId, (g, gp) => new { g.PermissionBoundaryId, gp.PermissionId })
            .Join(db.Permissions, x => x.PermissionId, p => p.Id, (x, p) => new { x.PermissionBoundaryId, p.Value })
            .Distinct().ToListAsync(cancellationToken);

        var boundaryIds = direct.Select(d => d.PermissionBoundaryId).Concat(grouped.Select(g => g.PermissionBoundaryId))
            .OfType<string>().Distinct().ToList();
        var boundaries = boundaryIds.Count == 0
            ? []
            : await db.PermissionBoundaries.AsNoTracking().Where(b => boundaryIds.Contains(b.Id)).ToDictionaryAsync(b => b.Id, cancellationToken);
        return
        [
            .. direct.Concat(grouped).Distinct().Select(g => new PermissionGrant(
                g.Value, g.PermissionBoundaryId is null ? null : boundaries.GetValueOrDefault(g.PermissionBoundaryId))),
        ];
    }
}

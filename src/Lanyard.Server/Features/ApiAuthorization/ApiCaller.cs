using Lanyard.Server.Common;
using Lanyard.Server.Features.SigningKeys;
using Lanyard.Server.Features.Tokens;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.ApiAuthorization;

/// <summary>Who called an API: a machine-to-machine client, or a user through an application's access token.</summary>
/// <param name="SubjectKind"><c>client</c> or <c>user</c>.</param>
/// <param name="TenantId">The user's tenant; null for a client.</param>
internal sealed record ApiCaller(string SubjectKind, string SubjectId, string? TenantId, IReadOnlySet<string> Permissions)
{
    public bool IsClient => SubjectKind == "client";
}

/// <summary>
/// Bearer authentication and permission checks for <c>/api/v1</c> resource and workflow APIs. The token
/// must be an access token this application issued and still honours; the caller's permissions are the
/// union over its roles. No token or a bad one → 401; a missing permission → 403. Boundaries (tenant,
/// self) are checked by the endpoint against <see cref="ApiCaller"/> and widen with the management API.
/// </summary>
internal static class ApiAuthorizationFilter
{
    private const string ItemKey = "lanyard.api_caller";

    public static RouteHandlerBuilder RequirePermission(this RouteHandlerBuilder builder, string permission) =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var caller = await AuthenticateAsync(http);
            if (caller is null)
            {
                http.Response.Headers.WWWAuthenticate = "Bearer realm=\"lanyard\", error=\"invalid_token\"";
                return ApiErrors.Base(StatusCodes.Status401Unauthorized, "invalid_token", "A valid access token is required (Authorization: Bearer).");
            }

            if (!caller.Permissions.Contains(permission))
            {
                return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", $"The caller lacks the permission {permission}.");
            }

            http.Items[ItemKey] = caller;
            return await next(context);
        });

    public static ApiCaller RequiredCaller(this HttpContext http) =>
        http.Items[ItemKey] as ApiCaller ?? throw new InvalidOperationException("The endpoint has no RequirePermission filter.");

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

            var permissions = await db.ClientRoles.Where(cr => cr.ClientId == subject)
                .Join(db.RolePermissions, cr => cr.RoleId, rp => rp.RoleId, (_, rp) => rp.PermissionId)
                .Join(db.Permissions, id => id, p => p.Id, (_, p) => p.Value)
                .Distinct().ToListAsync(http.RequestAborted);
            return new ApiCaller("client", subject, null, permissions.ToHashSet(StringComparer.Ordinal));
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

            var permissions = await db.UserRoles.Where(ur => ur.UserId == subject)
                .Join(db.RolePermissions, ur => ur.RoleId, rp => rp.RoleId, (_, rp) => rp.PermissionId)
                .Join(db.Permissions, id => id, p => p.Id, (_, p) => p.Value)
                .Distinct().ToListAsync(http.RequestAborted);
            return new ApiCaller("user", subject, tenantId, permissions.ToHashSet(StringComparer.Ordinal));
        }

        return null;
    }
}

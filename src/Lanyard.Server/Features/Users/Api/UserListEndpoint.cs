using System.Text.Json.Nodes;
using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Users.Api;

/// <summary>
/// Wristband's user query APIs, <c>GET /api/v1/tenants/{tenantId}/users</c> and
/// <c>GET /api/v1/applications/{applicationId}/users</c> (permission <c>user:read</c>), with the list
/// conventions of <see cref="ApiList"/>. The export pages through the same query (<see cref="Page"/>). A
/// client sees every tenant; a user token sees only its own tenant, and another tenant's list is a 404.
/// </summary>
internal static class UserListEndpoint
{
    public const string ReadPermission = "user:read";

    /// <summary>
    /// The attributes of Wristband's user query API, plus <c>id</c>, <c>tenantId</c> and <c>creationTime</c>.
    /// <c>email</c> and <c>username</c> compare against the normalized columns with the value lowercased, so they
    /// match without case, as logins do.
    /// </summary>
    public static ApiAttributes<User> Attributes { get; } = new ApiAttributes<User>(u => u.Id)
        .String("id", u => u.Id)
        .String("tenantId", u => u.TenantId)
        .String("email", u => u.NormalizedEmail, sort: true, normalize: Lowercase)
        .String("username", u => u.NormalizedUsername!, sort: true, normalize: Lowercase)
        .Boolean("emailVerified", u => u.EmailVerified)
        .String("externalId", u => u.ExternalId!)
        .String("givenName", u => u.GivenName!, sort: true)
        .String("familyName", u => u.FamilyName!, sort: true)
        .String("fullName", u => u.FullName!, sort: true)
        .Enum("status", u => u.Status)
        .String("identityProviderName", u => u.IdentityProviderName)
        .Time("creationTime", u => u.CreatedAt, sort: true);

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapGet("/tenants/{tenantId}/users", ListTenantUsersAsync).RequirePermission(ReadPermission);
        api.MapGet("/applications/{applicationId}/users", ListApplicationUsersAsync).RequirePermission(ReadPermission);
    }

    /// <summary>One page of users as the API shows them, from a source already narrowed to what the caller may see.</summary>
    public static Task<PageEnvelope<JsonObject>> Page(IQueryable<User> users, ListRequest<User> request, CancellationToken cancellationToken) =>
        ApiList.PageAsync(users.AsNoTracking(), request, Attributes, ToJson, cancellationToken);

    /// <summary>
    /// A user as the single-user API shows it. Lists hold only built-in identity provider users today (no
    /// external identity provider creates users yet), so the provider type is not looked up per row.
    /// </summary>
    public static JsonObject ToJson(User user) => UserJson.From(user, IdentityProviders.IdentityProviderType.Wristband);

    private static async Task<IResult> ListTenantUsersAsync(
        string tenantId, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        if (await ApiScope.EnterTenantAsync(http, db, scope, tenantId, cancellationToken) is null)
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "The tenant does not exist.");
        }

        var (request, error) = ApiList.Read(http.Request.Query, Attributes);
        if (request is null)
        {
            return error!.ToResult();
        }

        return TypedResults.Ok(await Page(db.Users, request, cancellationToken));
    }

    private static async Task<IResult> ListApplicationUsersAsync(
        string applicationId, HttpContext http, LanyardDbContext db, CancellationToken cancellationToken)
    {
        var application = http.RequiredApplication();
        if (!string.Equals(applicationId, application.Id, StringComparison.Ordinal))
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "application_not_found", "The application does not exist.");
        }

        var (request, error) = ApiList.Read(http.Request.Query, Attributes);
        if (request is null)
        {
            return error!.ToResult();
        }

        // A client reads across the tenants its grant of user:read reaches; a user token's scope is already its
        // own tenant, and the tenant filter stays on for it.
        var users = db.Users.AsQueryable();
        if (http.RequiredCaller().TenantId is null)
        {
            users = users.IgnoreQueryFilters([QueryFilters.Tenant]).WithinReach(http.CallerReach(), u => u.TenantId);
        }

        return TypedResults.Ok(await Page(users, request, cancellationToken));
    }

    private static string Lowercase(string value) => value.ToLowerInvariant();
}

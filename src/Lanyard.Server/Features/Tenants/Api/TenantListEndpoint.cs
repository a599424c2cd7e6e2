using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>
/// <c>GET /api/v1/applications/{applicationId}/tenants</c>: Wristband's tenant query API, and the first user of
/// the list conventions in <see cref="ApiList"/>. A client sees the application's tenants; a user token sees
/// only its own tenant.
/// </summary>
internal static class TenantListEndpoint
{
    public const string ReadPermission = "tenant:read";

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery()
            .MapGet("/applications/{applicationId}/tenants", ListAsync).RequirePermission(ReadPermission);

    private static async Task<IResult> ListAsync(
        string applicationId, HttpContext http, LanyardDbContext db, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(TenantListEndpoint));
        var application = http.RequiredApplication();
        if (!string.Equals(applicationId, application.Id, StringComparison.Ordinal))
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "application_not_found", "The application does not exist.");
        }

        var (request, error) = ApiList.Read(http.Request.Query, TenantJson.Attributes);
        if (request is null)
        {
            Common.Api.Log.ListRefused(logger, "tenants", error!.Code);
            return error.ToResult();
        }

        // db.Tenants is already limited to this application by the named query filter.
        var tenants = db.Tenants.AsNoTracking();
        var caller = http.RequiredCaller();
        // Only tenants the caller's grant of tenant:read reaches: all, a list, all but a list, or its own.
        tenants = tenants.WithinReach(http.CallerReach(), t => t.Id);

        var page = await ApiList.PageAsync(tenants, request, TenantJson.Attributes, t => TenantJson.From(application, t), cancellationToken);
        Log.TenantsListed(logger, application.Id, caller.SubjectId, page.ItemsPerPage, page.TotalResults);
        return TypedResults.Ok(page);
    }
}

using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Tenants.Deletion;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tenants.Api;

/// <summary>
/// Wristband's tenant resource on the application host: create (with <c>?upsert=true</c>), read, merge-patch
/// and delete. A tenant out of the caller's reach answers exactly like a missing one (404). Deleting is
/// asynchronous: the tenant disappears from hosts and APIs at once, and <see cref="TenantDeletionWorker"/>
/// removes its rows afterwards.
/// </summary>
internal static class TenantEndpoints
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost("/tenants", CreateAsync).RequirePermission("tenant:create");
        api.MapGet("/tenants/{tenantId}", GetAsync).RequirePermission("tenant:read");
        api.MapPatch("/tenants/{tenantId}", PatchAsync).RequirePermission("tenant:write");
        api.MapDelete("/tenants/{tenantId}", DeleteAsync).RequirePermission("tenant:delete");
    }

    public static IResult NotFound() => ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "The tenant does not exist.");

    public static IResult Conflict() =>
        ApiErrors.Base(StatusCodes.Status409Conflict, "conflict", "Another request changed this object at the same time; read it again and retry.");

    private static async Task<IResult> CreateAsync(
        HttpContext http, LanyardDbContext db, CreateTenant createTenant, ILogger<Tenant> logger, CancellationToken cancellationToken)
    {
        var application = http.RequiredApplication();
        var caller = http.RequiredCaller();
        var upsert = ReadUpsert(http.Request.Query);
        if (upsert is null)
        {
            return ApiErrors.BadRequest("invalid_request", "upsert must be true or false, given once.");
        }

        // A new tenant is not in any tenant list yet: only a grant over the whole application can create one.
        if (!http.CallerReachesApplication())
        {
            return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "Creating tenants needs tenant:create over the whole application.");
        }

        var (patch, error) = await MergePatch.ReadAsync(http.Request, cancellationToken);
        if (patch is null)
        {
            return error!;
        }

        var applicationId = patch.String("applicationId", nullable: false);
        if (applicationId.IsAbsent && !patch.Violations.ByField.ContainsKey("applicationId"))
        {
            patch.Violations.Add("applicationId", ViolationCodes.Required);
        }
        else if (applicationId.HasValue && !string.Equals(applicationId.Value, application.Id, StringComparison.Ordinal))
        {
            patch.Violations.Add("applicationId", ViolationCodes.NotFound);
        }

        var name = patch.String("name", nullable: false);
        if (!patch.Violations.ByField.ContainsKey("name"))
        {
            foreach (var (field, list) in TenantName.Validate(name.Value).ByField)
            {
                list.ForEach(v => patch.Violations.Add(field, v.Code, v.ConstraintAttributes));
            }
        }

        var normalizedName = name.HasValue ? Normalize.Key(name.Value!) : null;
        var existing = upsert.Value && patch.Violations.IsEmpty
            ? await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.NormalizedName == normalizedName, cancellationToken)
            : null;
        var fields = TenantFields.Read(patch, create: existing is null);
        patch.RefuseUnknown();

        if (existing is not null)
        {
            return await UpdateAsync(http, db, existing, patch, fields, logger, cancellationToken);
        }

        if (!patch.Violations.IsEmpty)
        {
            return ApiErrors.Violations(patch.Violations);
        }

        var result = await createTenant.ExecuteAsync(
            new CreateTenantRequest(
                name.Value, fields.DisplayName.Value, fields.SignupEnabled.Value,
                Description: fields.Description.Value, LogoUrl: fields.LogoUrl.Value,
                PublicMetadata: fields.PublicMetadata.Value, RestrictedMetadata: fields.RestrictedMetadata.Value),
            cancellationToken);
        if (result is CreateTenantResult.Invalid invalid)
        {
            return ApiErrors.Violations(invalid.Violations);
        }

        var tenant = ((CreateTenantResult.Created)result).Tenant;
        Log.TenantCreatedByApi(logger, tenant.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}", TenantJson.From(application, tenant, withRestrictedMetadata: true));
    }

    private static async Task<IResult> GetAsync(
        string tenantId, HttpContext http, LanyardDbContext db, TenantContext scope, CancellationToken cancellationToken)
    {
        var fields = FieldProjection.Parse(http.Request.Query);
        if (!fields.IsValid)
        {
            return ApiErrors.BadRequest("invalid_request", fields.Error);
        }

        var tenant = await ApiScope.EnterTenantAsync(http, db, scope, tenantId, cancellationToken);
        return tenant is null
            ? NotFound()
            : TypedResults.Ok(fields.Value!.Apply(TenantJson.From(http.RequiredApplication(), tenant, withRestrictedMetadata: true)));
    }

    private static async Task<IResult> PatchAsync(
        string tenantId, HttpContext http, LanyardDbContext db, TenantContext scope, ILogger<Tenant> logger, CancellationToken cancellationToken)
    {
        var tenant = await ApiScope.EnterTenantAsync(http, db, scope, tenantId, cancellationToken);
        if (tenant is null)
        {
            return NotFound();
        }

        var (patch, error) = await MergePatch.ReadAsync(http.Request, cancellationToken);
        if (patch is null)
        {
            return error!;
        }

        var fields = TenantFields.Read(patch, create: false);
        var current = TenantJson.From(http.RequiredApplication(), tenant, withRestrictedMetadata: true);
        foreach (var readOnly in new[] { "id", "applicationId", "type", "vanityDomain", "metadata" })
        {
            patch.ReadOnly(readOnly, current);
        }

        patch.ReadOnly("name", current, reason: "immutable");
        patch.RefuseUnknown();
        return await UpdateAsync(http, db, tenant, patch, fields, logger, cancellationToken);
    }

    /// <summary>The shared end of PATCH and of an upsert that found its tenant: field permissions, violations, save.</summary>
    private static async Task<IResult> UpdateAsync(
        HttpContext http, LanyardDbContext db, Tenant tenant, MergePatch patch, TenantFields fields, ILogger<Tenant> logger, CancellationToken cancellationToken)
    {
        var application = http.RequiredApplication();
        var caller = http.RequiredCaller();
        if (tenant.Status == TenantStatus.DeleteInProgress)
        {
            // Only an upsert gets here with such a tenant (PATCH answers 404): its name stays taken until the rows are gone.
            return ApiErrors.Violations(ConstraintViolations.Single("name", ViolationCodes.NotUnique));
        }

        var current = TenantJson.From(application, tenant, withRestrictedMetadata: true);
        if (FieldPermissions.Refusal(http, patch, current, TenantFields.Guarded, tenant.Id) is { } refusal)
        {
            return refusal;
        }

        if (!patch.Violations.IsEmpty)
        {
            return ApiErrors.Violations(patch.Violations);
        }

        // Attached as read: the version it carries is the one the save checks, so a change made by anyone
        // since this request read the tenant is a conflict rather than a lost update.
        var tracked = db.Tenants.Attach(tenant).Entity;
        fields.ApplyTo(tracked);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Conflict();
        }

        Log.TenantUpdated(logger, tracked.Id, tracked.Version, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Ok(TenantJson.From(application, tracked, withRestrictedMetadata: true));
    }

    private static async Task<IResult> DeleteAsync(
        string tenantId, HttpContext http, LanyardDbContext db, TenantContext scope, TenantDeletionSignal signal, TimeProvider time,
        ILogger<Tenant> logger, CancellationToken cancellationToken)
    {
        var caller = http.RequiredCaller();
        var tenant = await ApiScope.EnterTenantAsync(http, db, scope, tenantId, cancellationToken);
        if (tenant is null)
        {
            return NotFound();
        }

        var tracked = db.Tenants.Attach(tenant).Entity;
        tracked.Status = TenantStatus.DeleteInProgress;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                return Conflict();
            }

            // From this moment no token of the tenant's users works and no session of theirs is honoured,
            // even before the worker has removed the rows.
            var now = time.GetUtcNow();
            await db.Grants.Where(g => g.TenantId == tracked.Id && g.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, "tenant_deleted"), cancellationToken);
            await db.AuthSessions.Where(s => s.RevokedAt == null).ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        signal.Pulse();
        Log.TenantDeletionRequested(logger, tracked.Id, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Accepted((string?)null);
    }

    /// <summary><c>?upsert=true|false</c>: false when absent, null when malformed or repeated.</summary>
    private static bool? ReadUpsert(IQueryCollection query)
    {
        if (!query.TryGetValue("upsert", out var values))
        {
            return false;
        }

        return values.Count == 1 && bool.TryParse(values[0], out var upsert) ? upsert : null;
    }
}

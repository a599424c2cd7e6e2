using Lanyard.Server.Common;
using Lanyard.Server.Common.Api;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Tenants.Api;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Applications.Api;

/// <summary>
/// <c>GET</c> and <c>PATCH /api/v1/applications/{applicationId}</c> on the application's own host. The
/// application is everyone's parent, so only a grant that reaches every tenant (a client with an
/// application boundary) reads or changes it; a user's token never does.
/// </summary>
internal static class ApplicationEndpoints
{
    public const int DisplayNameMaxLength = 60;
    public const int MaxLogoutUrls = 10;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapGet("/applications/{applicationId}", GetAsync).RequirePermission("application:read");
        api.MapPatch("/applications/{applicationId}", PatchAsync).RequirePermission("application:write");
    }

    /// <summary>Null when the path names this host's application and the caller's grant reaches all of it.</summary>
    private static IResult? Refusal(HttpContext http, string applicationId)
    {
        if (!string.Equals(applicationId, http.RequiredApplication().Id, StringComparison.Ordinal))
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "application_not_found", "The application does not exist.");
        }

        return http.CallerReachesApplication()
            ? null
            : ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "The application is reached only by a grant over the whole application.");
    }

    private static Task<IResult> GetAsync(string applicationId, HttpContext http)
    {
        if (Refusal(http, applicationId) is { } refusal)
        {
            return Task.FromResult(refusal);
        }

        var fields = FieldProjection.Parse(http.Request.Query);
        return Task.FromResult(fields.IsValid
            ? TypedResults.Ok(fields.Value!.Apply(ApplicationJson.From(http.RequiredApplication())))
            : ApiErrors.BadRequest("invalid_request", fields.Error));
    }

    private static async Task<IResult> PatchAsync(string applicationId, HttpContext http, LanyardDbContext db, ILogger<Application> logger, CancellationToken cancellationToken)
    {
        if (Refusal(http, applicationId) is { } refusal)
        {
            return refusal;
        }

        var (patch, error) = await MergePatch.ReadAsync(http.Request, cancellationToken);
        if (patch is null)
        {
            return error!;
        }

        // Read afresh, not from the request's (possibly cached) copy: the version checked on save must be the stored one.
        var resolvedId = http.RequiredApplication().Id;
        var application = await db.Applications.AsNoTracking().FirstAsync(a => a.Id == resolvedId, cancellationToken);
        var current = ApplicationJson.From(application);
        var violations = patch.Violations;

        var displayName = patch.String("displayName", nullable: false);
        var trimmedName = displayName.Value?.Trim();
        if (displayName.HasValue && string.IsNullOrEmpty(trimmedName))
        {
            violations.Add("displayName", ViolationCodes.Required);
        }
        else if (trimmedName is { Length: > DisplayNameMaxLength })
        {
            violations.Add("displayName", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = DisplayNameMaxLength });
        }

        var loginUrl = patch.String("loginUrl");
        var loginUrlValue = string.IsNullOrEmpty(loginUrl.Value) ? null : loginUrl.Value;
        if (loginUrlValue is not null && RedirectUriRules.Problem(loginUrlValue) is { } loginProblem)
        {
            violations.Add("loginUrl", ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["reason"] = loginProblem });
        }

        var logoutUrls = patch.Strings("logoutUrls");
        if (logoutUrls.Value is { } urls)
        {
            if (urls.Count > MaxLogoutUrls)
            {
                violations.Add("logoutUrls", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = MaxLogoutUrls });
            }
            else if (urls.Select(RedirectUriRules.Problem).FirstOrDefault(p => p is not null) is { } logoutProblem)
            {
                violations.Add("logoutUrls", ViolationCodes.InvalidFormat, new Dictionary<string, object> { ["reason"] = logoutProblem });
            }
        }

        var signupEnabled = patch.Boolean("signupEnabled");
        var isMultiTenant = patch.Boolean("isMultiTenant");
        foreach (var readOnly in new[] { "id", "vanityDomain", "environmentType", "metadata" })
        {
            patch.ReadOnly(readOnly, current);
        }

        patch.ReadOnly("name", current, reason: "immutable");
        patch.RefuseUnknown();
        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        // Attached as read at the start of the request: a change by anyone since then is a conflict, not a lost update.
        var tracked = db.Applications.Attach(application).Entity;
        if (displayName.HasValue)
        {
            tracked.DisplayName = trimmedName!;
        }

        if (loginUrl.IsPresent)
        {
            tracked.LoginUrl = loginUrlValue;
        }

        if (logoutUrls.IsPresent)
        {
            tracked.LogoutUrls = [.. (logoutUrls.Value ?? []).Distinct(StringComparer.Ordinal)];
        }

        if (signupEnabled.HasValue)
        {
            tracked.SignupEnabled = signupEnabled.Value;
        }

        if (isMultiTenant.HasValue)
        {
            tracked.IsMultiTenant = isMultiTenant.Value;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return TenantEndpoints.Conflict();
        }

        var caller = http.RequiredCaller();
        Log.ApplicationUpdated(logger, tracked.Id, tracked.Version, caller.SubjectKind, caller.SubjectId);
        return TypedResults.Ok(ApplicationJson.From(tracked));
    }
}

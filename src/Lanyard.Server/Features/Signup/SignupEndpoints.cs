using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Signup;

/// <summary>Body of <c>POST /api/v1/signup/provision-user</c>: <c>tenantName</c> (+ <c>tenantDisplayName</c>) for application-level signup, or <c>tenantId</c>.</summary>
internal sealed record ProvisionUserBody(
    string? TenantId,
    string? TenantName,
    string? TenantDisplayName,
    string? Email,
    string? Password,
    string? FullName,
    string? GivenName,
    string? FamilyName,
    string? PhoneNumber,
    string? Birthdate,
    string? Username,
    string? ClientId,
    string? State);

/// <summary>The signup provisioning API for self-hosted signup pages; the same <see cref="SignupService"/> as the hosted pages.</summary>
internal static class SignupEndpoints
{
    public const string ActivationRequired = "USER_ACTIVATION_REQUIRED";
    public const string EmailVerificationPending = "EMAIL_VERIFICATION_PENDING";

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/v1/signup/provision-user", ProvisionUserAsync)
            .RequirePermission(SignupPermissions.Signup).OnHost(HostKind.Application).DisableAntiforgery();

    private static async Task<IResult> ProvisionUserAsync(
        ProvisionUserBody? body, HttpContext http, LanyardDbContext db, TenantContext scope, SignupService signup, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (body is null)
        {
            return ApiErrors.BadRequest("invalid_request", "A JSON body is required.");
        }

        var application = http.RequiredApplication();
        var caller = http.RequiredCaller();
        var input = new SignupInput
        {
            TenantName = body.TenantName,
            TenantDisplayName = body.TenantDisplayName,
            Email = body.Email,
            Password = body.Password,
            FullName = body.FullName,
            GivenName = body.GivenName,
            FamilyName = body.FamilyName,
            PhoneNumber = body.PhoneNumber,
            Birthdate = body.Birthdate,
            Username = body.Username,
            ClientId = body.ClientId,
            State = body.State,
        };

        Tenants.Tenant? tenant = null;
        if (!string.IsNullOrEmpty(body.TenantId))
        {
            if (!http.CallerReach().CoversTenant(body.TenantId))
            {
                return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "The caller may not act in that tenant.");
            }

            tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == body.TenantId, cancellationToken);
            if (tenant is null)
            {
                return ApiErrors.Base(StatusCodes.Status404NotFound, "tenant_not_found", "No such tenant.");
            }

            scope.Enter(application.Id, tenant.Id);
        }
        else if (!http.CallerReachesApplication())
        {
            // Creating a tenant is an application-wide act: a user's token, or a client bounded to some tenants, may not.
            return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "A user token cannot sign up a new tenant.");
        }

        var outcome = await signup.SignupAsync(application, tenant, input, http.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        return outcome switch
        {
            SignupOutcome.Disabled d => ApiErrors.BadRequest("signup_disabled", d.Message),
            SignupOutcome.Throttled => TooManyRequests(),
            SignupOutcome.Invalid i => ApiErrors.Violations(i.Violations),
            SignupOutcome.EmailTaken => ApiErrors.Violations(ConstraintViolations.Single(SignupRules.Fields.Email, ViolationCodes.NotUnique)),
            SignupOutcome.ActivationRequired a => TypedResults.Json(
                new ProvisionedResponse(a.User.Id, a.Tenant.Id, a.Tenant.Name, ActivationRequired, null, null),
                statusCode: a.Resent ? StatusCodes.Status200OK : StatusCodes.Status201Created),
            SignupOutcome.LoggedIn l => TypedResults.Json(
                new ProvisionedResponse(l.User.Id, l.Tenant.Id, l.Tenant.Name, EmailVerificationPending, l.RedirectUrl, l.AuthSessionCode),
                statusCode: StatusCodes.Status201Created),
            _ => throw new InvalidOperationException("Unknown signup outcome."),
        };
    }

    public static IResult TooManyRequests() =>
        ApiErrors.Base(StatusCodes.Status429TooManyRequests, "too_many_requests", "Too many requests. Wait a while and try again.");

    private sealed record ProvisionedResponse(
        string UserId,
        string TenantId,
        string TenantName,
        string Result,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        string? RedirectUrl,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        string? AuthSessionCode);
}

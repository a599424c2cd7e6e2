using System.Text.Json.Serialization;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.PasswordReset;

internal sealed record RequestPasswordResetBody(string? TenantId, string? LoginIdentifier);

internal sealed record ResetPasswordBody(string? EmailAuthCode, string? NewPassword);

internal sealed record IntrospectEmailAuthCodeBody(string? EmailAuthCode);

internal sealed record ResetPasswordResponse(
    string UserId,
    string TenantId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RedirectUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AuthSessionCode);

internal sealed record IntrospectResponse(
    bool Valid,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? UserId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? TenantId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? ExpiresAt = null);

/// <summary>
/// The password-reset workflow APIs for self-hosted pages, on the application host: request the email,
/// look at its code, set the new password. A self-hosted page sets the email policy's <c>actionLinkUrl</c>,
/// reads <c>code</c> from its URL, calls <c>reset-password</c> and sends the browser to <c>redirectUrl</c>.
/// </summary>
internal static class PasswordResetEndpoints
{
    public const string Permission = "password-reset-workflow:execute";
    public const string InvalidEmailAuthCode = "invalid_email_auth_code";

    public static void Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/password-reset");
        group.MapPost("/request-password-reset", RequestAsync).RequirePermission(Permission).OnHost(HostKind.Application).DisableAntiforgery();
        group.MapPost("/reset-password", ResetAsync).RequirePermission(Permission).OnHost(HostKind.Application).DisableAntiforgery();
        group.MapPost("/introspect-email-auth-code", IntrospectAsync).RequirePermission(Permission).OnHost(HostKind.Application).DisableAntiforgery();
    }

    /// <summary>204 whether or not the account exists or an email went out: the API is no oracle for accounts.</summary>
    private static async Task<IResult> RequestAsync(
        RequestPasswordResetBody body, HttpContext http, LanyardDbContext db, TenantContext scope, PasswordResets resets, CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        if (string.IsNullOrWhiteSpace(body.TenantId))
        {
            violations.Add("tenantId", ViolationCodes.Required);
        }

        if (string.IsNullOrWhiteSpace(body.LoginIdentifier))
        {
            violations.Add("loginIdentifier", ViolationCodes.Required);
        }
        else if (body.LoginIdentifier.Trim().Length > PasswordResets.MaxIdentifierLength)
        {
            violations.Add("loginIdentifier", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = PasswordResets.MaxIdentifierLength });
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        var caller = http.RequiredCaller();
        if (body.TenantId is null || !http.CallerReach().CoversTenant(body.TenantId))
        {
            return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "The caller may not act in this tenant.");
        }

        var application = http.RequiredApplication();
        if (await resets.IsRequesterOverLimitAsync("pwreset-api", caller.SubjectId, PasswordResets.RequestsPerApiCaller, application.Id, cancellationToken))
        {
            return ApiErrors.Base(StatusCodes.Status429TooManyRequests, "too_many_requests", "Too many password reset requests; try again in a few minutes.");
        }

        var tenant = await FindTenantAsync(db, body.TenantId!, cancellationToken);
        if (tenant is not null)
        {
            scope.Enter(application.Id, tenant.Id);
            await resets.RequestAsync(application, tenant, body.LoginIdentifier!, new WorkflowContext(), cancellationToken);
        }

        return TypedResults.NoContent();
    }

    private static async Task<IResult> ResetAsync(
        ResetPasswordBody body, HttpContext http, LanyardDbContext db, TenantContext scope, PasswordResets resets, ILogger<PasswordResets> logger,
        CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        if (string.IsNullOrEmpty(body.EmailAuthCode))
        {
            violations.Add("emailAuthCode", ViolationCodes.Required);
        }

        if (string.IsNullOrEmpty(body.NewPassword))
        {
            violations.Add("newPassword", ViolationCodes.Required);
        }

        var application = http.RequiredApplication();
        var resolved = string.IsNullOrEmpty(body.EmailAuthCode) ? null : await ResolveAsync(http, db, scope, resets, body.EmailAuthCode, cancellationToken);
        if (!string.IsNullOrEmpty(body.EmailAuthCode) && resolved is null)
        {
            Log.InvalidResetCode(logger, application.Id);
            violations.Add("emailAuthCode", InvalidEmailAuthCode);
        }

        // The policy is the code's tenant's, so it can only be checked once the code has named the tenant.
        if (resolved is not null && !string.IsNullOrEmpty(body.NewPassword))
        {
            foreach (var broken in await resets.CheckPasswordAsync(body.NewPassword, cancellationToken))
            {
                violations.Add("newPassword", broken);
            }
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        var completion = await resets.CompleteAsync(application, resolved!.Value.Tenant, body.EmailAuthCode!, body.NewPassword!, cancellationToken);
        if (completion is null)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("emailAuthCode", InvalidEmailAuthCode));
        }

        return TypedResults.Ok(new ResetPasswordResponse(completion.User.Id, resolved.Value.Tenant.Id, completion.RedirectUrl, completion.AuthSessionCode));
    }

    private static async Task<IResult> IntrospectAsync(
        IntrospectEmailAuthCodeBody body, HttpContext http, LanyardDbContext db, TenantContext scope, PasswordResets resets, CancellationToken cancellationToken)
    {
        var resolved = await ResolveAsync(http, db, scope, resets, body.EmailAuthCode, cancellationToken);
        return resolved is not { } found
            ? TypedResults.Ok(new IntrospectResponse(false))
            : TypedResults.Ok(new IntrospectResponse(true, found.Code.User.Id, found.Tenant.Id, found.Code.Code.ExpiresAt));
    }

    /// <summary>
    /// Peeks the code and, when it is live, enters its tenant's scope (the tenant loaded through the
    /// application-filtered set first) and checks its user there. A user caller only ever sees codes of its own tenant.
    /// </summary>
    private static async Task<(ResettableCode Code, Tenant Tenant)?> ResolveAsync(
        HttpContext http, LanyardDbContext db, TenantContext scope, PasswordResets resets, string? emailAuthCode, CancellationToken cancellationToken)
    {
        var code = await resets.PeekAsync(emailAuthCode, cancellationToken);
        var caller = http.RequiredCaller();
        if (code is null || !http.CallerReach().CoversTenant(code.TenantId))
        {
            return null;
        }

        var tenant = await FindTenantAsync(db, code.TenantId, cancellationToken);
        if (tenant is null)
        {
            return null;
        }

        scope.Enter(http.RequiredApplication().Id, tenant.Id);
        var resolved = await resets.ResolveAsync(code, tenant, cancellationToken);
        return resolved is null ? null : (resolved, tenant);
    }

    private static Task<Tenant?> FindTenantAsync(LanyardDbContext db, string tenantId, CancellationToken cancellationToken) =>
        db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId && t.Status != TenantStatus.DeleteInProgress, cancellationToken);
}

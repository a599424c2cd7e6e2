using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.PasswordReset;

internal sealed record ChangePasswordBody(string? UserId, string? CurrentPassword, string? NewPassword);

/// <summary>
/// <c>POST /api/v1/change-password</c>: a signed-in user (or a backend acting for one) replaces a known
/// password. The current password is checked like a login — counted against the account's login throttle
/// first, so this API is no faster way to guess it — and success ends every session and grant of the user.
/// </summary>
internal static class ChangePasswordEndpoint
{
    public const string Permission = "change-password-workflow:execute";
    public const string InvalidPassword = "invalid_password";

    /// <summary>As on the login page: longer input is not a password anyone set, and hashing it would only cost time.</summary>
    private const int MaxPasswordLength = 1024;

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapPost("/api/v1/change-password", ChangeAsync)
            .RequirePermission(Permission).OnHost(HostKind.Application).DisableAntiforgery();

    private static async Task<IResult> ChangeAsync(
        ChangePasswordBody body, HttpContext http, LanyardDbContext db, TenantContext scope, PasswordResets resets, PasswordHasher hasher,
        LoginThrottle throttle, ILogger<PasswordResets> logger, CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        if (string.IsNullOrWhiteSpace(body.UserId))
        {
            violations.Add("userId", ViolationCodes.Required);
        }

        if (string.IsNullOrEmpty(body.CurrentPassword))
        {
            violations.Add("currentPassword", ViolationCodes.Required);
        }

        if (string.IsNullOrEmpty(body.NewPassword))
        {
            violations.Add("newPassword", ViolationCodes.Required);
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        var caller = http.RequiredCaller();
        if (!caller.IsClient && !string.Equals(caller.SubjectId, body.UserId, StringComparison.Ordinal))
        {
            return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "A user may change only its own password.");
        }

        var application = http.RequiredApplication();
        var tenant = await EnterUserTenantAsync(http, db, scope, application.Id, caller, body.UserId!, cancellationToken);
        var user = tenant is null ? null : await db.Users.AsTracking().FirstOrDefaultAsync(u => u.Id == body.UserId, cancellationToken);
        if (tenant is null || user is null)
        {
            return ApiErrors.Base(StatusCodes.Status404NotFound, "user_not_found", "No such user.");
        }

        if (user.Status != UserStatus.Active)
        {
            return ApiErrors.BadRequest("user_not_active", "The user is not active.");
        }

        foreach (var broken in await resets.CheckPasswordAsync(body.NewPassword!, cancellationToken))
        {
            violations.Add("newPassword", broken);
        }

        // Same account key as the login page's (tenant + email), and no address: the caller's address is a backend's, not the user's.
        var verdict = await throttle.CountAttemptAsync(tenant.Id, user.Email, address: null, cancellationToken);
        var builtIn = user.IdentityProviderName == IdentityProvider.BuiltInName;
        var current = body.CurrentPassword!.Length <= MaxPasswordLength ? body.CurrentPassword : "";
        var verification = await hasher.VerifyAsync(current, builtIn ? user.PasswordHash : null, cancellationToken);
        var currentOk = verdict == ThrottleVerdict.Allowed && builtIn && user.PasswordHash is not null && current.Length > 0
            && verification != PasswordVerification.Failed;
        if (!currentOk)
        {
            Log.ChangePasswordRefused(logger, tenant.Id, user.Id, verdict == ThrottleVerdict.AccountLocked ? "locked" : "credentials");
            violations.Add("currentPassword", InvalidPassword);
        }
        else
        {
            await throttle.ClearAccountAsync(tenant.Id, user.Email, cancellationToken);
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        var newPasswordHash = await hasher.HashAsync(body.NewPassword!, cancellationToken);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await resets.ApplyNewPasswordAsync(application, tenant, user, newPasswordHash, PasswordResets.GrantRevokedOnChange, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        Log.PasswordChanged(logger, tenant.Id, user.Id);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// The user's tenant, entered as this request's scope. A user token has entered it already; a client
    /// names only a user id, so the one deliberate cross-tenant read finds which tenant that user is in.
    /// </summary>
    private static async Task<Tenant?> EnterUserTenantAsync(
        HttpContext http, LanyardDbContext db, TenantContext scope, string applicationId, ApiCaller caller, string userId, CancellationToken cancellationToken)
    {
        var tenantId = caller.IsClient
            ? await db.Users.IgnoreQueryFilters([QueryFilters.Tenant]).Where(u => u.Id == userId).Select(u => u.TenantId).FirstOrDefaultAsync(cancellationToken)
            : caller.TenantId;
        if (tenantId is null || !http.CallerReaches(tenantId, userId))
        {
            return null;
        }

        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId && t.Status != TenantStatus.DeleteInProgress, cancellationToken);
        if (tenant is not null)
        {
            scope.Enter(applicationId, tenant.Id);
        }

        return tenant;
    }
}

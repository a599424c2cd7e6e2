using System.Text.Json.Serialization;
using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Mfa;

internal sealed record UserIdBody(string? UserId);

internal sealed record VerifyEnrollmentBody(string? UserId, string? FactorId, string? Code, string? MfaToken = null);

internal sealed record VerifyChallengeBody(string? UserId, string? Code, string? RecoveryCode, string? MfaToken = null);

internal sealed record MfaTokenBody(string? MfaToken);

internal sealed record RemoveFactorsBody(string? UserId, string? CurrentPassword);

internal sealed record EnrollTotpResponse(string FactorId, string Secret, string OtpauthUri, string QrCode);

internal sealed record VerifyEnrollmentResponse(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RecoveryCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RedirectUrl = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AuthSessionCode = null);

internal sealed record RecoveryCodeResponse(string RecoveryCode);

internal sealed record ChallengeResponse(
    string Result,
    string FactorType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RedirectUrl = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AuthSessionCode = null);

/// <summary>
/// The MFA workflow APIs on the application host, for applications that host their own MFA pages. A user
/// token may act only on its own user; a client finds the user across its application's tenants.
/// </summary>
internal static class MfaEndpoints
{
    public const string Permission = "mfa-workflow:execute";

    /// <summary>The predefined permissions have no <c>user:update</c>; <c>user:write</c> is the one that changes users.</summary>
    public const string AdminPermission = "user:write";

    public const string InvalidCode = "invalid_code";
    public const string InvalidPassword = "invalid_password";
    public const string InvalidMfaToken = "invalid_mfa_token";

    private const int MaxPasswordLength = 1024;

    public static void Map(IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/v1").OnHost(HostKind.Application).DisableAntiforgery();
        api.MapPost("/mfa/enroll-totp", EnrollTotpAsync).RequirePermission(Permission);
        api.MapPost("/mfa/verify-totp-enrollment", VerifyEnrollmentAsync).RequirePermission(Permission);
        api.MapPost("/mfa/enroll-recovery-code", EnrollRecoveryCodeAsync).RequirePermission(Permission);
        api.MapPost("/mfa/verify-challenge", VerifyChallengeAsync).RequirePermission(Permission);
        api.MapPost("/mfa/introspect-mfa-token", IntrospectTokenAsync).RequirePermission(Permission);
        api.MapPost("/mfa/remove-factors", RemoveOwnFactorsAsync).RequirePermission(Permission);
        api.MapDelete("/users/{userId}/mfa-factors", RemoveFactorsAsync).RequirePermission(AdminPermission);
    }

    private static async Task<IResult> EnrollTotpAsync(UserIdBody body, HttpContext http, LanyardDbContext db, TenantContext scope, MfaService mfa, CancellationToken cancellationToken)
    {
        var (target, error) = await TargetAsync(http, db, scope, mfa, body.UserId, cancellationToken);
        if (target is null)
        {
            return error!;
        }

        var enrollment = await mfa.BeginTotpEnrollmentAsync(http.RequiredApplication(), target.User, cancellationToken);
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new EnrollTotpResponse(enrollment.FactorId, enrollment.Secret, enrollment.OtpauthUri, enrollment.QrCode));
    }

    private static async Task<IResult> VerifyEnrollmentAsync(
        VerifyEnrollmentBody body, HttpContext http, LanyardDbContext db, TenantContext scope, MfaService mfa, MfaHandoff handoff, CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        if (string.IsNullOrWhiteSpace(body.FactorId))
        {
            violations.Add("factorId", ViolationCodes.Required);
        }

        if (string.IsNullOrWhiteSpace(body.Code))
        {
            violations.Add("code", ViolationCodes.Required);
        }

        var token = await PeekTokenAsync(handoff, body.MfaToken, cancellationToken);
        if (body.MfaToken is not null && token is null && string.IsNullOrWhiteSpace(body.UserId))
        {
            return InvalidToken();
        }

        var (target, error) = await TargetAsync(http, db, scope, mfa, UserIdOf(body.UserId, token), cancellationToken);
        if (target is null)
        {
            return error!;
        }

        if (!violations.IsEmpty)
        {
            return ApiErrors.Violations(violations);
        }

        if (body.MfaToken is not null && !Owes(token, target, MfaStep.Enrollment))
        {
            return InvalidToken();
        }

        var verified = await mfa.VerifyTotpEnrollmentAsync(target.User, body.FactorId, body.Code, cancellationToken);
        if (verified is null)
        {
            return ApiErrors.Violations(ConstraintViolations.Single("code", InvalidCode));
        }

        http.Response.Headers.CacheControl = "no-store";
        if (body.MfaToken is null)
        {
            return TypedResults.Ok(new VerifyEnrollmentResponse(verified.RecoveryCode));
        }

        var handed = await handoff.CompleteAsync(http.RequiredApplication(), target.Tenant, body.MfaToken, ["otp", MfaGate.MfaAmr], cancellationToken);
        return handed is { } h ? TypedResults.Ok(new VerifyEnrollmentResponse(verified.RecoveryCode, h.Url, h.Code)) : InvalidToken();
    }

    private static async Task<IResult> EnrollRecoveryCodeAsync(UserIdBody body, HttpContext http, LanyardDbContext db, TenantContext scope, MfaService mfa, CancellationToken cancellationToken)
    {
        var (target, error) = await TargetAsync(http, db, scope, mfa, body.UserId, cancellationToken);
        if (target is null)
        {
            return error!;
        }

        if (!(await mfa.PolicyAsync(cancellationToken)).RecoveryCodesEnabled)
        {
            return ApiErrors.BadRequest("mfa_not_available", "The MFA policy does not allow recovery codes.");
        }

        var code = await mfa.RegenerateRecoveryCodeAsync(target.User, cancellationToken);
        if (code is null)
        {
            return ApiErrors.BadRequest("totp_not_enrolled", "The user has no verified authenticator; enroll TOTP first.");
        }

        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Ok(new RecoveryCodeResponse(code));
    }

    private static async Task<IResult> VerifyChallengeAsync(
        VerifyChallengeBody body, HttpContext http, LanyardDbContext db, TenantContext scope, MfaService mfa, MfaHandoff handoff, CancellationToken cancellationToken)
    {
        var hasCode = !string.IsNullOrWhiteSpace(body.Code);
        var hasRecovery = !string.IsNullOrWhiteSpace(body.RecoveryCode);
        var token = await PeekTokenAsync(handoff, body.MfaToken, cancellationToken);
        if (body.MfaToken is not null && token is null && string.IsNullOrWhiteSpace(body.UserId))
        {
            return InvalidToken();
        }

        var (target, error) = await TargetAsync(http, db, scope, mfa, UserIdOf(body.UserId, token), cancellationToken);
        if (target is null)
        {
            return error!;
        }

        if (hasCode == hasRecovery)
        {
            // Exactly one of the two: a request carrying both would get two guesses for one counted attempt.
            var violations = new ConstraintViolations();
            violations.Add(hasCode ? "recoveryCode" : "code", hasCode ? ViolationCodes.InvalidValue : ViolationCodes.Required);
            return ApiErrors.Violations(violations);
        }

        // Checked before the code, so a bad token costs no attempt and spends no code.
        if (body.MfaToken is not null && !Owes(token, target, MfaStep.Challenge))
        {
            return InvalidToken();
        }

        var application = http.RequiredApplication();
        var outcome = await mfa.VerifyChallengeAsync(application, target.Tenant, target.User, body.Code, hasRecovery ? body.RecoveryCode : null, cancellationToken);
        if (outcome is ChallengeOutcome.Locked)
        {
            return ApiErrors.Base(StatusCodes.Status429TooManyRequests, "too_many_requests", "Too many MFA attempts for this user; try again later.");
        }

        if (outcome is not (ChallengeOutcome.VerifiedTotp or ChallengeOutcome.VerifiedRecoveryCode))
        {
            return ApiErrors.Violations(ConstraintViolations.Single(hasRecovery ? "recoveryCode" : "code", InvalidCode));
        }

        var factorType = outcome == ChallengeOutcome.VerifiedTotp ? MfaPolicy.Totp : MfaPolicy.RecoveryCode;
        if (body.MfaToken is null)
        {
            return TypedResults.Ok(new ChallengeResponse("VERIFIED", factorType));
        }

        http.Response.Headers.CacheControl = "no-store";
        IReadOnlyList<string> amr = outcome == ChallengeOutcome.VerifiedTotp ? ["otp", MfaGate.MfaAmr] : [MfaGate.MfaAmr];
        var handed = await handoff.CompleteAsync(application, target.Tenant, body.MfaToken, amr, cancellationToken);
        return handed is { } h ? TypedResults.Ok(new ChallengeResponse("VERIFIED", factorType, h.Url, h.Code)) : InvalidToken();
    }

    /// <summary>
    /// What a self-hosted MFA page asks first: whose login the token belongs to and which step it owes. Answers
    /// <c>{"valid": false}</c> for anything but a live token (expired, used, unknown) without saying which.
    /// </summary>
    private static async Task<IResult> IntrospectTokenAsync(MfaTokenBody body, HttpContext http, LanyardDbContext db, MfaHandoff handoff, CancellationToken cancellationToken)
    {
        http.Response.Headers.CacheControl = "no-store";
        var token = await PeekTokenAsync(handoff, body.MfaToken, cancellationToken);
        var caller = http.RequiredCaller();
        if (token is null || (!caller.IsClient && !string.Equals(caller.SubjectId, token.Code.UserId, StringComparison.Ordinal))
            || !http.CallerReaches(token.Code.TenantId, token.Code.UserId))
        {
            return TypedResults.Ok(new { valid = false });
        }

        var tenantName = await db.Tenants.AsNoTracking().Where(t => t.Id == token.Code.TenantId).Select(t => t.Name).FirstOrDefaultAsync(cancellationToken);
        return TypedResults.Ok(new
        {
            valid = true,
            userId = token.Code.UserId,
            tenantId = token.Code.TenantId,
            tenantName,
            step = MfaHandoff.StepName(token.Step),
            expiresAt = token.Code.ExpiresAt,
        });
    }

    private static Task<MfaTokenInfo?> PeekTokenAsync(MfaHandoff handoff, string? token, CancellationToken cancellationToken) =>
        token is null ? Task.FromResult<MfaTokenInfo?>(null) : handoff.PeekAsync(token, cancellationToken);

    /// <summary>With an MFA token, <c>userId</c> may be left out: the token names the user.</summary>
    private static string? UserIdOf(string? userId, MfaTokenInfo? token) =>
        string.IsNullOrWhiteSpace(userId) && token is not null ? token.Code.UserId : userId;

    /// <summary>The token is live, names this user of this tenant, and owes exactly this step.</summary>
    private static bool Owes(MfaTokenInfo? token, Target target, MfaStep step) =>
        token is not null && token.Step == step
        && string.Equals(token.Code.UserId, target.User.Id, StringComparison.Ordinal)
        && string.Equals(token.Code.TenantId, target.Tenant.Id, StringComparison.Ordinal);

    private static IResult InvalidToken() => ApiErrors.Violations(ConstraintViolations.Single("mfaToken", InvalidMfaToken));

    private static async Task<IResult> RemoveFactorsAsync(string userId, HttpContext http, LanyardDbContext db, TenantContext scope, MfaService mfa, CancellationToken cancellationToken)
    {
        var (target, error) = await TargetAsync(http, db, scope, mfa, userId, cancellationToken, requireTotp: false);
        if (target is null)
        {
            return error!;
        }

        await mfa.RemoveFactorsAsync(target.User, cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Self-service removal: a stolen access token alone must not strip the second factor, so the current
    /// password is asked for again and checked like a login (counted against the account's login throttle).
    /// </summary>
    private static async Task<IResult> RemoveOwnFactorsAsync(
        RemoveFactorsBody body, HttpContext http, LanyardDbContext db, TenantContext scope, MfaService mfa, PasswordHasher hasher, LoginThrottle throttle,
        ILogger<MfaService> logger, CancellationToken cancellationToken)
    {
        var (target, error) = await TargetAsync(http, db, scope, mfa, body.UserId, cancellationToken, requireTotp: false);
        if (target is null)
        {
            return error!;
        }

        if (string.IsNullOrEmpty(body.CurrentPassword))
        {
            return ApiErrors.Violations(ConstraintViolations.Single("currentPassword", ViolationCodes.Required));
        }

        var user = target.User;
        var verdict = await throttle.CountAttemptAsync(target.Tenant.Id, user.Email, address: null, cancellationToken);
        var current = body.CurrentPassword.Length <= MaxPasswordLength ? body.CurrentPassword : "";
        var verification = await hasher.VerifyAsync(current, user.PasswordHash, cancellationToken);
        if (verdict != ThrottleVerdict.Allowed || user.PasswordHash is null || current.Length == 0 || verification == PasswordVerification.Failed)
        {
            Log.RemovalRefused(logger, target.Tenant.Id, user.Id, verdict == ThrottleVerdict.AccountLocked ? "locked" : "credentials");
            return ApiErrors.Violations(ConstraintViolations.Single("currentPassword", InvalidPassword));
        }

        await throttle.ClearAccountAsync(target.Tenant.Id, user.Email, cancellationToken);
        await mfa.RemoveFactorsAsync(user, cancellationToken);
        return TypedResults.NoContent();
    }

    private sealed record Target(Tenant Tenant, User User);

    /// <summary>
    /// The user the request acts on, with its tenant entered as the scope. A user token acts only on itself
    /// (its tenant is already entered); a client names a user id, so the one deliberate cross-tenant read
    /// finds that user's tenant.
    /// </summary>
    private static async Task<(Target? Target, IResult? Error)> TargetAsync(
        HttpContext http, LanyardDbContext db, TenantContext scope, MfaService mfa, string? userId, CancellationToken cancellationToken, bool requireTotp = true)
    {
        if (string.IsNullOrWhiteSpace(userId) || userId.Length > 26)
        {
            return (null, string.IsNullOrWhiteSpace(userId)
                ? ApiErrors.Violations(ConstraintViolations.Single("userId", ViolationCodes.Required))
                : UserNotFound());
        }

        var caller = http.RequiredCaller();
        if (!caller.IsClient && !string.Equals(caller.SubjectId, userId, StringComparison.Ordinal))
        {
            return (null, ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "A user may manage only its own MFA factors."));
        }

        var application = http.RequiredApplication();
        var tenantId = caller.IsClient
            ? await db.Users.IgnoreQueryFilters([QueryFilters.Tenant]).Where(u => u.Id == userId).Select(u => u.TenantId).FirstOrDefaultAsync(cancellationToken)
            : caller.TenantId;
        var tenant = tenantId is null || !http.CallerReaches(tenantId, userId)
            ? null
            : await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId && t.Status != TenantStatus.DeleteInProgress, cancellationToken);
        if (tenant is null)
        {
            return (null, UserNotFound());
        }

        scope.Enter(application.Id, tenant.Id);
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        if (user is null)
        {
            return (null, UserNotFound());
        }

        if (user.IdentityProviderName != IdentityProvider.BuiltInName)
        {
            return (null, NotAvailable("The user signs in through an external identity provider, which enforces its own MFA."));
        }

        if (requireTotp && await mfa.AvailabilityAsync(user, cancellationToken) == MfaAvailability.TotpDisabled)
        {
            return (null, NotAvailable("The MFA policy does not allow TOTP."));
        }

        return (new Target(tenant, user), null);
    }

    private static IResult UserNotFound() => ApiErrors.Base(StatusCodes.Status404NotFound, "user_not_found", "No such user.");

    private static IResult NotAvailable(string message) => ApiErrors.BadRequest("mfa_not_available", message);
}

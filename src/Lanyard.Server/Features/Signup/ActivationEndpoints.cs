using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Tenancy;

namespace Lanyard.Server.Features.Signup;

internal sealed record EmailAuthCodeBody(string? EmailAuthCode);

internal sealed record RequestActivationBody(string? UserId, string? TenantId, string? Email);

internal sealed record UserIdBody(string? UserId);

/// <summary>The user-activation and email-verification workflow APIs, for self-hosted activation and verification pages.</summary>
internal static class ActivationEndpoints
{
    public const string ActivationComplete = "USER_ACTIVATION_COMPLETE";

    public static void Map(IEndpointRouteBuilder routes)
    {
        var activation = routes.MapGroup("/api/v1/user-activation");
        activation.MapPost("/activate-user", ActivateAsync).RequirePermission(SignupPermissions.UserActivation).OnHost(HostKind.Application).DisableAntiforgery();
        activation.MapPost("/request-user-activation", RequestActivationAsync).RequirePermission(SignupPermissions.UserActivation).OnHost(HostKind.Application).DisableAntiforgery();
        activation.MapPost("/introspect-email-auth-code", IntrospectAsync).RequirePermission(SignupPermissions.UserActivation).OnHost(HostKind.Application).DisableAntiforgery();

        var verification = routes.MapGroup("/api/v1/email-verification");
        verification.MapPost("/verify-email", VerifyAsync).RequirePermission(SignupPermissions.EmailVerification).OnHost(HostKind.Application).DisableAntiforgery();
        verification.MapPost("/request-email-verification", RequestVerificationAsync).RequirePermission(SignupPermissions.EmailVerification).OnHost(HostKind.Application).DisableAntiforgery();
    }

    private static WorkflowAsker Asker(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        return new WorkflowAsker(http.RequiredApplication(), null, http.RequiredCaller().TenantId, http.CallerReach());
    }

    private static IResult InvalidCode() =>
        ApiErrors.Violations(ConstraintViolations.Single("emailAuthCode", "invalid_email_auth_code"));

    private static async Task<IResult> ActivateAsync(EmailAuthCodeBody? body, HttpContext http, ActivationService activation, CancellationToken cancellationToken)
    {
        var outcome = await activation.ActivateAsync(Asker(http), body?.EmailAuthCode, cancellationToken);
        return outcome is ActivationOutcome.Activated a
            ? TypedResults.Ok(new { result = ActivationComplete, userId = a.User.Id, tenantId = a.Tenant.Id, redirectUrl = a.RedirectUrl, authSessionCode = a.AuthSessionCode })
            : InvalidCode();
    }

    private static async Task<IResult> IntrospectAsync(EmailAuthCodeBody? body, HttpContext http, ActivationService activation, CancellationToken cancellationToken)
    {
        var info = await activation.IntrospectAsync(Asker(http), body?.EmailAuthCode, cancellationToken);
        return info is null
            ? TypedResults.Ok(new { valid = false })
            : TypedResults.Ok(new { valid = true, userId = info.UserId, tenantId = info.TenantId, email = info.Email, expiresAt = info.ExpiresAt });
    }

    private static async Task<IResult> RequestActivationAsync(
        RequestActivationBody? body, HttpContext http, ActivationService activation, CancellationToken cancellationToken)
    {
        var asker = Asker(http);
        SendResult result;
        if (!string.IsNullOrEmpty(body?.UserId))
        {
            result = await activation.RequestActivationAsync(asker, body.UserId, cancellationToken);
        }
        else if (!string.IsNullOrEmpty(body?.TenantId) && !string.IsNullOrEmpty(body.Email))
        {
            if (asker.CallerTenantId is not null && asker.CallerTenantId != body.TenantId)
            {
                return ApiErrors.Base(StatusCodes.Status403Forbidden, "forbidden", "The caller may not act in that tenant.");
            }

            result = await activation.RequestActivationByEmailAsync(
                asker, body.TenantId, body.Email, http.Connection.RemoteIpAddress?.ToString(), previousCode: null, cancellationToken);
        }
        else
        {
            var violations = new ConstraintViolations();
            if (string.IsNullOrEmpty(body?.TenantId))
            {
                violations.Add("tenantId", ViolationCodes.Required);
            }

            if (string.IsNullOrEmpty(body?.Email))
            {
                violations.Add("email", ViolationCodes.Required);
            }

            return ApiErrors.Violations(violations, "Give userId, or tenantId and email.");
        }

        return result switch
        {
            SendResult.Sent or SendResult.Quietly => TypedResults.NoContent(),
            SendResult.NotFound => ApiErrors.Base(StatusCodes.Status404NotFound, "user_not_found", "No such user."),
            SendResult.NotPending => ApiErrors.BadRequest("user_not_pending_activation", "The user is not waiting for activation."),
            SendResult.Throttled => SignupEndpoints.TooManyRequests(),
            _ => throw new InvalidOperationException("Unexpected send result."),
        };
    }

    private static async Task<IResult> VerifyAsync(EmailAuthCodeBody? body, HttpContext http, ActivationService activation, CancellationToken cancellationToken)
    {
        var outcome = await activation.VerifyEmailAsync(Asker(http), body?.EmailAuthCode, cancellationToken);
        return outcome is VerificationOutcome.Verified v
            ? TypedResults.Ok(new { userId = v.User.Id, tenantId = v.Tenant.Id, emailVerified = true })
            : InvalidCode();
    }

    private static async Task<IResult> RequestVerificationAsync(UserIdBody? body, HttpContext http, ActivationService activation, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(body?.UserId))
        {
            return ApiErrors.Violations(ConstraintViolations.Single("userId", ViolationCodes.Required));
        }

        return await activation.RequestEmailVerificationAsync(Asker(http), body.UserId, cancellationToken) switch
        {
            SendResult.Sent => TypedResults.NoContent(),
            SendResult.NotFound => ApiErrors.Base(StatusCodes.Status404NotFound, "user_not_found", "No such user."),
            SendResult.AlreadyVerified => ApiErrors.BadRequest("email_already_verified", "The user's email is already verified."),
            SendResult.Throttled => SignupEndpoints.TooManyRequests(),
            _ => throw new InvalidOperationException("Unexpected send result."),
        };
    }
}

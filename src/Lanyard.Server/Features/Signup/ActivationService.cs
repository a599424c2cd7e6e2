using Lanyard.Server.Common;
using Lanyard.Server.Features.ApiAuthorization;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Signup;

/// <summary>Who is asking, for the code and user lookups: the tenant of the host (hosted page) and the tenant a user token is bound to (API).</summary>
/// <param name="HostTenant">Set on a tenant host: a code of another tenant is no code here.</param>
/// <param name="CallerTenantId">Set for a user's access token: the scope is already that tenant.</param>
internal sealed record WorkflowAsker(Application Application, Tenant? HostTenant, string? CallerTenantId, TenantReach? CallerReach = null)
{
    public bool MayUse(string tenantId) =>
        (HostTenant is null || HostTenant.Id == tenantId) && (CallerTenantId is null || CallerTenantId == tenantId)
        && (CallerReach is null || CallerReach.CoversTenant(tenantId));
}

internal abstract record ActivationOutcome
{
    private ActivationOutcome() { }

    /// <summary>Bad, expired, used, superseded, of another purpose or another tenant, or the user is no longer pending: all look alike.</summary>
    public sealed record Invalid : ActivationOutcome;

    public sealed record Activated(User User, Tenant Tenant, string RedirectUrl, string AuthSessionCode) : ActivationOutcome;
}

internal abstract record VerificationOutcome
{
    private VerificationOutcome() { }

    public sealed record Invalid : VerificationOutcome;

    /// <param name="ContinueUrl">Where the user continues to the application (the workflow's final redirect).</param>
    public sealed record Verified(User User, Tenant Tenant, string ContinueUrl) : VerificationOutcome;
}

internal enum SendResult
{
    Sent,

    /// <summary>Nothing was sent, and the caller must not say so (the email form).</summary>
    Quietly,
    NotFound,
    NotPending,
    AlreadyVerified,
    Throttled,
}

/// <summary>Introspection of an activation code: never consumes it.</summary>
internal sealed record CodeInfo(string UserId, string TenantId, string Email, DateTimeOffset ExpiresAt);

/// <summary>
/// User activation and email verification: consuming the emailed codes, and sending fresh emails. Every
/// code is looked at before it is used, so a code shown on another tenant's host (or through another
/// tenant's user token) is refused without being burnt; the code's row names its tenant, which is loaded
/// through the application-filtered tenants and entered as the scope before any user is read.
/// </summary>
internal sealed partial class ActivationService(
    LanyardDbContext db,
    TenantContext scope,
    WorkflowCodes codes,
    WorkflowMail mail,
    AuthSessionHandoff handoff,
    PolicyResolver policies,
    LoginThrottle throttle,
    SignupLimits limits,
    TimeProvider time,
    ILogger<ActivationService> logger)
{
    public async Task<ActivationOutcome> ActivateAsync(WorkflowAsker asker, string? code, CancellationToken cancellationToken)
    {
        var tenant = await TenantOfAsync(asker, code, WorkflowPurpose.UserActivation, cancellationToken);
        if (tenant is null)
        {
            return new ActivationOutcome.Invalid();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var consumed = await codes.ConsumeAsync(code, WorkflowPurpose.UserActivation, cancellationToken);
        if (consumed is null || consumed.TenantId != tenant.Id)
        {
            return new ActivationOutcome.Invalid();
        }

        var user = await db.Users.AsTracking().FirstOrDefaultAsync(u => u.Id == consumed.UserId, cancellationToken);
        if (user is null || user.Status is not (UserStatus.PendingSignupActivation or UserStatus.PendingInviteActivation))
        {
            await transaction.CommitAsync(cancellationToken);
            return new ActivationOutcome.Invalid();
        }

        var now = time.GetUtcNow();
        user.Status = UserStatus.Active;
        user.EmailVerified = true;
        user.ActivatedAt = now;
        user.LastVerifiedAt = now;
        var context = WorkflowCodes.ReadContext(consumed) with { Amr = ["email"] };
        var (url, sessionCode, _) = await handoff.IssueAsync(asker.Application, tenant, user.Id, Workflow.UserActivation, context, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        UserActivated(logger, user.Id, tenant.Id);
        return new ActivationOutcome.Activated(user, tenant, url, sessionCode);
    }

    public async Task<CodeInfo?> IntrospectAsync(WorkflowAsker asker, string? code, CancellationToken cancellationToken)
    {
        var tenant = await TenantOfAsync(asker, code, WorkflowPurpose.UserActivation, cancellationToken);
        var row = tenant is null ? null : await codes.PeekAsync(code, WorkflowPurpose.UserActivation, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == row.UserId, cancellationToken);
        return user is { Status: UserStatus.PendingSignupActivation or UserStatus.PendingInviteActivation }
            ? new CodeInfo(user.Id, row.TenantId, user.Email, row.ExpiresAt)
            : null;
    }

    /// <summary>An administrator's (or a self-hosted page's) resend for one user id.</summary>
    public async Task<SendResult> RequestActivationAsync(WorkflowAsker asker, string? userId, CancellationToken cancellationToken)
    {
        var (tenant, user) = await UserByIdAsync(asker, userId, cancellationToken);
        if (tenant is null || user is null)
        {
            return SendResult.NotFound;
        }

        if (user.Status != UserStatus.PendingSignupActivation)
        {
            return SendResult.NotPending;
        }

        if (await OverRecipientLimitAsync(user.Email, cancellationToken))
        {
            return SendResult.Throttled;
        }

        await SendAsync(asker.Application, tenant, user, EmailTypes.UserActivation, new WorkflowContext(), cancellationToken);
        return SendResult.Sent;
    }

    /// <summary>
    /// The "send me a new link" form: the same answer whether or not the address waits for activation. The
    /// context (client, state) of the user's earlier code is kept when <paramref name="previousCode"/> is theirs.
    /// </summary>
    public async Task<SendResult> RequestActivationByEmailAsync(
        WorkflowAsker asker, string? tenantId, string? email, string? clientAddress, string? previousCode, CancellationToken cancellationToken)
    {
        var address = email?.Trim() ?? "";
        if (await throttle.IsOverLimitAsync("activation-request-addr", clientAddress ?? "unknown", limits.SignupsPerAddress, limits.AddressWindow, cancellationToken)
            || (address.Length is > 0 and <= 200 && await OverRecipientLimitAsync(address, cancellationToken)))
        {
            Throttled(logger, asker.Application.Id);
            return SendResult.Throttled;
        }

        if (address.Length is 0 or > 200 || string.IsNullOrEmpty(tenantId) || !asker.MayUse(tenantId))
        {
            return SendResult.Quietly;
        }

        var tenant = await EnterTenantAsync(asker, tenantId, cancellationToken);
        if (tenant is null)
        {
            return SendResult.Quietly;
        }

        var normalized = Normalize.Key(address);
        var user = await db.Users.AsNoTracking()
            .FirstOrDefaultAsync(u => u.NormalizedEmail == normalized && u.Status == UserStatus.PendingSignupActivation, cancellationToken);
        if (user is null)
        {
            return SendResult.Quietly;
        }

        var context = new WorkflowContext();
        if (previousCode is { Length: > 0 and <= 100 })
        {
            var hash = OpaqueToken.Hash(previousCode);
            var previous = await db.WorkflowCodes.AsNoTracking()
                .FirstOrDefaultAsync(c => c.CodeHash == hash && c.Purpose == WorkflowPurpose.UserActivation && c.UserId == user.Id && c.TenantId == tenant.Id, cancellationToken);
            if (previous is not null)
            {
                context = WorkflowCodes.ReadContext(previous);
            }
        }

        await SendAsync(asker.Application, tenant, user, EmailTypes.UserActivation, context, cancellationToken);
        return SendResult.Sent;
    }

    public async Task<VerificationOutcome> VerifyEmailAsync(WorkflowAsker asker, string? code, CancellationToken cancellationToken)
    {
        var tenant = await TenantOfAsync(asker, code, WorkflowPurpose.EmailVerification, cancellationToken);
        if (tenant is null)
        {
            return new VerificationOutcome.Invalid();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var consumed = await codes.ConsumeAsync(code, WorkflowPurpose.EmailVerification, cancellationToken);
        var user = consumed is null || consumed.TenantId != tenant.Id
            ? null
            : await db.Users.AsTracking().FirstOrDefaultAsync(u => u.Id == consumed.UserId, cancellationToken);
        if (user is null)
        {
            return new VerificationOutcome.Invalid();
        }

        user.EmailVerified = true;
        user.LastVerifiedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        EmailVerified(logger, user.Id, tenant.Id);
        var continueUrl = await AuthSessionHandoff.FinalRedirectAsync(
            asker.Application, tenant, Workflow.EmailVerification, WorkflowCodes.ReadContext(consumed!), db, policies, cancellationToken);
        return new VerificationOutcome.Verified(user, tenant, continueUrl);
    }

    public async Task<SendResult> RequestEmailVerificationAsync(WorkflowAsker asker, string? userId, CancellationToken cancellationToken)
    {
        var (tenant, user) = await UserByIdAsync(asker, userId, cancellationToken);
        if (tenant is null || user is null)
        {
            return SendResult.NotFound;
        }

        if (user.EmailVerified)
        {
            return SendResult.AlreadyVerified;
        }

        if (await OverRecipientLimitAsync(user.Email, cancellationToken))
        {
            return SendResult.Throttled;
        }

        await SendAsync(asker.Application, tenant, user, EmailTypes.EmailVerification, new WorkflowContext(), cancellationToken);
        return SendResult.Sent;
    }

    private async Task SendAsync(Application application, Tenant tenant, User user, string emailType, WorkflowContext context, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await mail.SendActionEmailAsync(application, tenant, user, emailType, context, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        EmailRequested(logger, emailType, user.Id, tenant.Id);
    }

    private Task<bool> OverRecipientLimitAsync(string email, CancellationToken cancellationToken) =>
        throttle.IsOverLimitAsync(SignupService.WorkflowEmailThrottle, Normalize.Key(email), limits.EmailsPerRecipient, limits.RecipientWindow, cancellationToken);

    /// <summary>The live code's tenant, entered as the scope, when the asker may act in it; else null (and nothing consumed).</summary>
    private async Task<Tenant?> TenantOfAsync(WorkflowAsker asker, string? code, WorkflowPurpose purpose, CancellationToken cancellationToken)
    {
        var row = await codes.PeekAsync(code, purpose, cancellationToken);
        if (row is null || !asker.MayUse(row.TenantId))
        {
            return null;
        }

        return await EnterTenantAsync(asker, row.TenantId, cancellationToken);
    }

    private async Task<Tenant?> EnterTenantAsync(WorkflowAsker asker, string tenantId, CancellationToken cancellationToken)
    {
        if (!asker.MayUse(tenantId))
        {
            return null;
        }

        if (asker.HostTenant is { } hostTenant)
        {
            return hostTenant.Id == tenantId ? hostTenant : null;
        }

        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == tenantId && t.Status == TenantStatus.Active, cancellationToken);
        if (tenant is not null)
        {
            scope.Enter(asker.Application.Id, tenant.Id);
        }

        return tenant;
    }

    private async Task<(Tenant? Tenant, User? User)> UserByIdAsync(WorkflowAsker asker, string? userId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(userId) || userId.Length > 100)
        {
            return (null, null);
        }

        var tenantId = asker.CallerTenantId ?? asker.HostTenant?.Id;
        if (tenantId is null)
        {
            // A client token acts for the whole application: find which tenant the user is in, then read the user in that tenant's scope.
            tenantId = await db.Users.IgnoreQueryFilters([QueryFilters.Tenant]).AsNoTracking()
                .Where(u => u.Id == userId).Select(u => u.TenantId).FirstOrDefaultAsync(cancellationToken);
            if (tenantId is null)
            {
                return (null, null);
            }
        }

        var tenant = await EnterTenantAsync(asker, tenantId, cancellationToken);
        var user = tenant is null ? null : await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, cancellationToken);
        return (tenant, user);
    }

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "User {UserId} activated in tenant {TenantId}")]
    private static partial void UserActivated(ILogger logger, string userId, string tenantId);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "Email of user {UserId} verified in tenant {TenantId}")]
    private static partial void EmailVerified(ILogger logger, string userId, string tenantId);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "{EmailType} email sent on request to user {UserId} in tenant {TenantId}")]
    private static partial void EmailRequested(ILogger logger, string emailType, string userId, string tenantId);

    [LoggerMessage(EventId = 7013, Level = LogLevel.Warning, Message = "Activation email request throttled in application {ApplicationId}")]
    private static partial void Throttled(ILogger logger, string applicationId);
}

using System.Net.Mail;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Invitations;


internal sealed record NewUserInviteRequest(string? TenantId, string? Email, List<string>? RolesToAssign, string? Language, string? InviteeName);

internal abstract record InviteResult
{
    private InviteResult() { }

    public sealed record Sent(InvitationRequest Invitation) : InviteResult;

    public sealed record Invalid(ConstraintViolations Violations) : InviteResult;

    public sealed record TooMany : InviteResult;
}

/// <summary>
/// Creates invitations and sends their emails. Must run in the tenant's scope. Everything an invitation
/// changes (earlier invitations cancelled, the pending user, the new row, its code, the outbox email) is
/// written in one transaction, so a failure leaves no half-invited user and no orphan email.
/// </summary>
internal sealed partial class InvitationSender(
    LanyardDbContext db,
    CreateUser createUser,
    WorkflowMail mail,
    WorkflowCodes codes,
    LoginThrottle throttle,
    Hosting.ServerSettings settings,
    TimeProvider time,
    ILogger<InvitationSender> logger)
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    public async Task<InviteResult> InviteNewUserAsync(Application application, Tenant tenant, NewUserInviteRequest request, CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        var email = request.Email?.Trim();
        if (string.IsNullOrEmpty(email))
        {
            violations.Add("email", ViolationCodes.Required);
        }
        else if (email.Length > 200)
        {
            violations.Add("email", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = 200 });
        }
        else if (!MailAddress.TryCreate(email, out var parsed) || parsed.Address != email || !email.Contains('.', StringComparison.Ordinal))
        {
            violations.Add("email", ViolationCodes.InvalidFormat);
        }

        if (request.Language is { Length: > 35 })
        {
            violations.Add("language", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = 35 });
        }

        if (request.InviteeName is { Length: > 200 })
        {
            violations.Add("inviteeName", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxLength"] = 200 });
        }

        var roleIds = (request.RolesToAssign ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (roleIds.Count > 50)
        {
            violations.Add("rolesToAssign", ViolationCodes.TooLong, new Dictionary<string, object> { ["maxItems"] = 50 });
        }
        else if (roleIds.Count > 0)
        {
            // The tenant scope's filter shows application roles and this tenant's roles only.
            var visible = await db.Roles.Where(r => roleIds.Contains(r.Id)).Select(r => r.Id).ToListAsync(cancellationToken);
            foreach (var bad in roleIds.Except(visible, StringComparer.Ordinal))
            {
                violations.Add("rolesToAssign", ViolationCodes.InvalidValue, new Dictionary<string, object> { ["roleId"] = bad });
            }
        }

        if (!violations.IsEmpty)
        {
            return new InviteResult.Invalid(violations);
        }

        var normalizedEmail = Normalize.Key(email!);
        var existing = await db.Users.AsTracking()
            .FirstOrDefaultAsync(u => u.IdentityProviderName == IdentityProvider.BuiltInName && u.NormalizedEmail == normalizedEmail, cancellationToken);
        if (existing is not null && existing.Status != UserStatus.PendingInviteActivation)
        {
            // Users who already exist are invited with the existing-user API; this one must not touch them.
            return new InviteResult.Invalid(ConstraintViolations.Single("email", ViolationCodes.NotUnique));
        }

        if (await IsOverLimitAsync(tenant, normalizedEmail, cancellationToken))
        {
            InviteThrottled(logger, tenant.Id);
            return new InviteResult.TooMany();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await CancelPendingAsync(tenant, normalizedEmail, cancellationToken);
        var user = existing;
        if (user is null)
        {
            var created = await createUser.ExecuteAsync(new CreateUserRequest(email, Status: UserStatus.PendingInviteActivation), cancellationToken);
            if (created is CreateUserResult.Invalid invalid)
            {
                return new InviteResult.Invalid(invalid.Violations);
            }

            user = ((CreateUserResult.Created)created).User;
        }

        var invitation = new InvitationRequest
        {
            Id = LanyardId.New(time),
            Kind = InvitationKind.NewUser,
            UserId = user.Id,
            Email = user.Email,
            NormalizedEmail = user.NormalizedEmail,
            InviteeName = ProfileFields.Trimmed(request.InviteeName),
            RolesToAssign = roleIds,
            Language = ProfileFields.Trimmed(request.Language),
        };
        db.InvitationRequests.Add(invitation);
        invitation.ExpiresAt = await mail.SendActionEmailAsync(
            application, tenant, user, EmailTypes.NewUserInvitation, new WorkflowContext(InvitationId: invitation.Id), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        InvitationSent(logger, invitation.Id, nameof(InvitationKind.NewUser), user.Id, tenant.Id);
        return new InviteResult.Sent(invitation);
    }

    /// <summary>Invites a PROVISIONED or INACTIVE user (the caller has checked the status) to activate the account.</summary>
    public async Task<InviteResult> InviteExistingUserAsync(Application application, Tenant tenant, User user, CancellationToken cancellationToken)
    {
        if (await IsOverLimitAsync(tenant, user.NormalizedEmail, cancellationToken))
        {
            InviteThrottled(logger, tenant.Id);
            return new InviteResult.TooMany();
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await CancelPendingAsync(tenant, user.NormalizedEmail, cancellationToken);
        var invitation = new InvitationRequest
        {
            Id = LanyardId.New(time),
            Kind = InvitationKind.ExistingUser,
            UserId = user.Id,
            Email = user.Email,
            NormalizedEmail = user.NormalizedEmail,
        };
        db.InvitationRequests.Add(invitation);
        invitation.ExpiresAt = await mail.SendActionEmailAsync(
            application, tenant, user, EmailTypes.ExistingUserInvitation, new WorkflowContext(InvitationId: invitation.Id), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        InvitationSent(logger, invitation.Id, nameof(InvitationKind.ExistingUser), user.Id, tenant.Id);
        return new InviteResult.Sent(invitation);
    }

    /// <summary>One pending invitation per email per tenant: the newer one cancels the older, and the older link dies with it.</summary>
    private async Task CancelPendingAsync(Tenant tenant, string normalizedEmail, CancellationToken cancellationToken)
    {
        var earlier = await db.InvitationRequests.AsTracking()
            .Where(i => i.NormalizedEmail == normalizedEmail && i.Status == InvitationStatus.PendingInviteAcceptance)
            .ToListAsync(cancellationToken);
        foreach (var invitation in earlier)
        {
            invitation.Status = InvitationStatus.Canceled;
            await codes.RevokeAsync(tenant.Id, invitation.UserId, InvitationAcceptance.PurposeOf(invitation.Kind), cancellationToken);
            InvitationSuperseded(logger, invitation.Id, tenant.Id);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task<bool> IsOverLimitAsync(Tenant tenant, string normalizedEmail, CancellationToken cancellationToken)
    {
        var limits = settings.Workflows;
        var tenantOver = await throttle.IsOverLimitAsync("invite-tenant", tenant.Id, limits.InvitationsPerTenant, Window, cancellationToken);
        var emailOver = await throttle.IsOverLimitAsync("invite-email", tenant.Id + ":" + normalizedEmail, limits.InvitationsPerEmail, Window, cancellationToken);
        return tenantOver || emailOver;
    }

    [LoggerMessage(EventId = 7200, Level = LogLevel.Information, Message = "Invitation {InvitationId} ({Kind}) sent to user {UserId} in tenant {TenantId}")]
    private static partial void InvitationSent(ILogger logger, string invitationId, string kind, string userId, string tenantId);

    [LoggerMessage(EventId = 7201, Level = LogLevel.Information, Message = "Invitation {InvitationId} in tenant {TenantId} superseded by a newer one")]
    private static partial void InvitationSuperseded(ILogger logger, string invitationId, string tenantId);

    [LoggerMessage(EventId = 7202, Level = LogLevel.Warning, Message = "Invitation refused in tenant {TenantId}: rate limit reached")]
    private static partial void InviteThrottled(ILogger logger, string tenantId);
}

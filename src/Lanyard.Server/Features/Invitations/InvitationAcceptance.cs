using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Invitations;

/// <summary>A live invitation found through its emailed code: what the accept form and the introspection show.</summary>
internal sealed record PendingInvitation(Tenant Tenant, InvitationRequest Invitation, User User, WorkflowCode Code, IReadOnlyList<string> RequiredFields)
{
    public bool PasswordNeeded => RequiredFields.Contains(ProfileFieldNames.Password);
}

internal abstract record AcceptResult
{
    private AcceptResult() { }

    public sealed record Accepted(string UserId, string TenantId, string RedirectUrl, string AuthSessionCode) : AcceptResult;

    public sealed record Invalid(ConstraintViolations Violations, PendingInvitation Pending) : AcceptResult;

    /// <summary>Unknown, used, superseded, expired, cancelled, another tenant's or another purpose's code: one answer for all.</summary>
    public sealed record InvalidCode : AcceptResult;
}

/// <summary>
/// Accepting both kinds of invitation, shared by the hosted pages (tenant host) and the accept APIs
/// (application host). The code names the tenant; the request's scope must be that tenant or none yet
/// (then it is entered), so a code from tenant A does nothing on tenant B's host. The invitation row is
/// checked as well as the code: a cancelled or expired invitation fails even while its code would live.
/// </summary>
internal sealed partial class InvitationAcceptance(
    LanyardDbContext db,
    WorkflowCodes codes,
    TenantContext scope,
    PolicyResolver policies,
    PasswordHasher hasher,
    AuthSessionHandoff handoff,
    TimeProvider time,
    ILogger<InvitationAcceptance> logger)
{
    public static WorkflowPurpose PurposeOf(InvitationKind kind) =>
        kind == InvitationKind.NewUser ? WorkflowPurpose.NewUserInvitation : WorkflowPurpose.ExistingUserInvitation;

    /// <summary>For the hosted pages: the tenant host has already narrowed the scope to its tenant.</summary>
    public static bool AnyTenant(string tenantId) => true;

    /// <summary>
    /// The live invitation of <paramref name="code"/>, or null. <paramref name="tenantInReach"/> is the caller's reach
    /// (the accept APIs: a management token bounded to some tenants): an invitation to a tenant out of reach is
    /// treated as an unknown code, so the code tells such a caller nothing and cannot be used by it.
    /// </summary>
    public async Task<PendingInvitation?> PeekAsync(
        Application application, InvitationKind kind, string? code, Func<string, bool> tenantInReach, CancellationToken cancellationToken)
    {
        var row = await codes.PeekAsync(code, PurposeOf(kind), cancellationToken);
        var pending = row is null ? null : await LoadAsync(application, kind, row, cancellationToken);
        return pending is not null && tenantInReach(pending.Tenant.Id) ? pending : null;
    }

    public async Task<AcceptResult> AcceptAsync(
        Application application, InvitationKind kind, string? code, AcceptInput input, Func<string, bool> tenantInReach, CancellationToken cancellationToken)
    {
        var pending = await PeekAsync(application, kind, code, tenantInReach, cancellationToken);
        if (pending is null)
        {
            return new AcceptResult.InvalidCode();
        }

        var (violations, profile) = await ValidateAsync(pending, kind, input, cancellationToken);
        if (!violations.IsEmpty)
        {
            return new AcceptResult.Invalid(violations, pending);
        }

        // Hashed before the transaction: on SQLite a transaction holds the only writer, and a hash takes ~150 ms of a core.
        var passwordHash = !string.IsNullOrEmpty(input.Password) && (kind == InvitationKind.NewUser || !pending.User.HasPassword)
            ? await hasher.HashAsync(input.Password, cancellationToken)
            : null;

        // The code is consumed inside the transaction: if anything below fails, the invitee can try again.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var consumed = await codes.ConsumeAsync(code, PurposeOf(kind), cancellationToken);
        if (consumed is null || consumed.Id != pending.Code.Id)
        {
            return new AcceptResult.InvalidCode();
        }

        var invitation = pending.Invitation;
        var user = pending.User;
        await db.Entry(invitation).ReloadAsync(cancellationToken);
        await db.Entry(user).ReloadAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (invitation.Status != InvitationStatus.PendingInviteAcceptance || invitation.ExpiresAt <= now || !StatusAllows(kind, user.Status))
        {
            return new AcceptResult.InvalidCode();
        }

        if (profile is not null)
        {
            UserProfileRules.Apply(profile, user);
        }

        if (kind == InvitationKind.NewUser)
        {
            if (string.IsNullOrEmpty(user.PreferredLanguage) && invitation.Language is { } language)
            {
                user.PreferredLanguage = language;
            }

            await AssignRolesAsync(invitation, user, cancellationToken);
        }

        var setsPassword = passwordHash is not null && (kind == InvitationKind.NewUser || !user.HasPassword);
        if (setsPassword)
        {
            user.PasswordHash = passwordHash;
        }

        user.Status = UserStatus.Active;
        user.EmailVerified = true; // the emailed link proved the address
        user.LastVerifiedAt = now;
        user.ActivatedAt = now;
        user.DeactivatedAt = null;
        invitation.Status = InvitationStatus.Completed;
        invitation.CompletedAt = now;
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (UniqueViolation.Is(e))
        {
            // Another user took the username between the check and the save.
            return new AcceptResult.Invalid(ConstraintViolations.Single(ProfileFieldNames.Username, ViolationCodes.NotUnique), pending);
        }
        catch (DbUpdateConcurrencyException)
        {
            return new AcceptResult.InvalidCode(); // cancelled or superseded while we were accepting
        }

        var workflow = kind == InvitationKind.NewUser ? Workflow.NewUserInvitation : Workflow.ExistingUserInvitation;
        IReadOnlyList<string> amr = setsPassword ? ["pwd"] : ["email"];
        var (url, authSessionCode, _) = await handoff.IssueAsync(
            application, pending.Tenant, user.Id, workflow, new WorkflowContext(InvitationId: invitation.Id, Amr: amr), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        InvitationAccepted(logger, invitation.Id, kind, user.Id, pending.Tenant.Id);
        return new AcceptResult.Accepted(user.Id, pending.Tenant.Id, url, authSessionCode);
    }

    /// <summary>Every broken rule of the input, and the profile to apply: null for an existing user, whose profile is theirs.</summary>
    private async Task<(ConstraintViolations Violations, ProfileValues? Profile)> ValidateAsync(
        PendingInvitation pending, InvitationKind kind, AcceptInput input, CancellationToken cancellationToken)
    {
        var violations = new ConstraintViolations();
        ProfileValues? profile = null;
        if (kind == InvitationKind.NewUser)
        {
            var schema = await policies.UserSchemaAsync(cancellationToken);
            profile = UserProfileRules.Validate(violations, input.ToProfile(), schema, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
            if (profile.Username is { } username)
            {
                var normalized = Normalize.Key(username);
                var taken = await db.Users.AnyAsync(
                    u => u.Id != pending.User.Id && u.IdentityProviderId == pending.User.IdentityProviderId && u.NormalizedUsername == normalized,
                    cancellationToken);
                if (taken)
                {
                    violations.Add(ProfileFieldNames.Username, ViolationCodes.NotUnique);
                }
            }
        }

        // An existing user who already has a password keeps it: the invitation only activates the account.
        var passwordApplies = kind == InvitationKind.NewUser || !pending.User.HasPassword;
        if (!passwordApplies)
        {
            return (violations, profile);
        }

        if (string.IsNullOrEmpty(input.Password))
        {
            if (pending.PasswordNeeded)
            {
                violations.Add(ProfileFieldNames.Password, ViolationCodes.Required);
            }
        }
        else
        {
            var policy = await policies.PasswordAsync(cancellationToken);
            foreach (var broken in policy.Check(input.Password))
            {
                violations.Add(ProfileFieldNames.Password, broken);
            }
        }

        return (violations, profile);
    }

    private async Task<PendingInvitation?> LoadAsync(Application application, InvitationKind kind, WorkflowCode row, CancellationToken cancellationToken)
    {
        // A tenant host (or a user's token) has fixed the scope already: another tenant's code is no code here.
        if (scope.TenantId is { } current && !string.Equals(current, row.TenantId, StringComparison.Ordinal))
        {
            return null;
        }

        var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.Id == row.TenantId, cancellationToken);
        if (tenant is not { Status: TenantStatus.Active })
        {
            return null;
        }

        scope.Enter(application.Id, tenant.Id);
        var invitationId = WorkflowCodes.ReadContext(row).InvitationId;
        if (invitationId is null)
        {
            return null;
        }

        var invitation = await db.InvitationRequests.AsTracking().FirstOrDefaultAsync(i => i.Id == invitationId, cancellationToken);
        if (invitation is null || invitation.Kind != kind || invitation.UserId != row.UserId
            || invitation.Status != InvitationStatus.PendingInviteAcceptance || invitation.ExpiresAt <= time.GetUtcNow())
        {
            return null;
        }

        var user = await db.Users.AsTracking().FirstOrDefaultAsync(u => u.Id == row.UserId, cancellationToken);
        if (user is null || !StatusAllows(kind, user.Status))
        {
            return null;
        }

        var schema = await policies.UserSchemaAsync(cancellationToken);
        IReadOnlyList<string> required = kind == InvitationKind.NewUser
            ? UserProfileRules.RequiredFields(schema, schema.PasswordRequired)
            : !user.HasPassword && schema.PasswordRequired ? [ProfileFieldNames.Password] : [];
        return new PendingInvitation(tenant, invitation, user, row, required);
    }

    private async Task AssignRolesAsync(InvitationRequest invitation, User user, CancellationToken cancellationToken)
    {
        if (invitation.RolesToAssign.Count == 0)
        {
            return;
        }

        // Roles may have been deleted since the invitation: only those still visible to the tenant are given.
        var wanted = invitation.RolesToAssign;
        var visible = await db.Roles.Where(r => wanted.Contains(r.Id)).Select(r => r.Id).ToListAsync(cancellationToken);
        var held = await db.UserRoles.Where(ur => ur.UserId == user.Id).Select(ur => ur.RoleId).ToListAsync(cancellationToken);
        foreach (var roleId in visible.Except(held, StringComparer.Ordinal))
        {
            db.UserRoles.Add(new UserRole { UserId = user.Id, RoleId = roleId });
        }
    }

    private static bool StatusAllows(InvitationKind kind, UserStatus status) => kind == InvitationKind.NewUser
        ? status == UserStatus.PendingInviteActivation
        : status is UserStatus.Provisioned or UserStatus.Inactive;

    [LoggerMessage(EventId = 7210, Level = LogLevel.Information, Message = "Invitation {InvitationId} ({Kind}) accepted by user {UserId} in tenant {TenantId}")]
    private static partial void InvitationAccepted(ILogger logger, string invitationId, InvitationKind kind, string userId, string tenantId);
}

/// <summary>The POST of both hosted accept pages, which answer alike and differ only in the form they show again.</summary>
internal static class AcceptPage
{
    /// <summary>
    /// Accepts, or shows the form again through <paramref name="show"/> with the messages of what was wrong.
    /// A confirmation that does not match is refused before the code is tried, so the link stays usable.
    /// </summary>
    public static async Task<IActionResult> SubmitAsync(
        PageModel page,
        InvitationAcceptance acceptance,
        InvitationKind kind,
        string? code,
        AcceptInput input,
        bool confirmationMismatch,
        Action<PendingInvitation, IReadOnlyDictionary<string, List<string>>> show,
        Func<IActionResult> invalidCode,
        CancellationToken cancellationToken)
    {
        var application = page.HttpContext.RequiredApplication();
        if (confirmationMismatch)
        {
            var pending = await acceptance.PeekAsync(application, kind, code, InvitationAcceptance.AnyTenant, cancellationToken);
            if (pending is null)
            {
                return invalidCode();
            }

            show(pending, new Dictionary<string, List<string>> { ["passwordConfirmation"] = ["The passwords do not match."] });
            return page.Page();
        }

        switch (await acceptance.AcceptAsync(application, kind, code, input, InvitationAcceptance.AnyTenant, cancellationToken))
        {
            case AcceptResult.Accepted accepted:
                // 303: the browser follows with a GET and never re-posts the password.
                page.Response.Headers.Location = accepted.RedirectUrl;
                return page.StatusCode(StatusCodes.Status303SeeOther);
            case AcceptResult.Invalid invalid:
                show(invalid.Pending, AcceptMessages.For(invalid.Violations));
                return page.Page();
            default:
                return invalidCode();
        }
    }
}

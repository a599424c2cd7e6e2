using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Authorize;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.PasswordReset;

/// <summary>A live reset code and the user it lets set a password.</summary>
internal sealed record ResettableCode(WorkflowCode Code, User User);

/// <summary>The end of a completed reset: whom it was for and, with immediate login, where the browser goes next.</summary>
internal sealed record ResetCompletion(User User, string? RedirectUrl, string? AuthSessionCode);

/// <summary>
/// The password workflows' shared steps: sending the reset email (rate-limited, silent about unknown
/// accounts), checking a reset code, and setting a new password with everything that must follow it —
/// every session and grant of the user revoked, other reset links spent, the user told by email — in one
/// transaction. Every method acts in the tenant scope the caller has entered.
/// </summary>
internal sealed class PasswordResets(
    LanyardDbContext db,
    WorkflowCodes codes,
    WorkflowMail mail,
    PolicyResolver policies,
    PasswordHasher hasher,
    LoginThrottle throttle,
    AuthSessionHandoff handoff,
    TimeProvider time,
    ILogger<PasswordResets> logger)
{
    /// <summary>Reset emails per account (and per typed identifier) per hour; more are dropped without a word.</summary>
    public const int EmailsPerAccount = 5;

    public static readonly TimeSpan EmailWindow = TimeSpan.FromHours(1);

    /// <summary>Forgot-password requests per client address per window on the hosted page; more get a 429.</summary>
    public const int RequestsPerAddress = 20;

    public static readonly TimeSpan AddressWindow = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Requests per API caller (client or user) per window. A backend asks for all of its users from one
    /// address, so the API is limited per caller and more generously than a browser's address.
    /// </summary>
    public const int RequestsPerApiCaller = 200;

    public const string GrantRevokedOnReset = "password_reset";
    public const string GrantRevokedOnChange = "password_change";

    public const int MaxIdentifierLength = 200;

    /// <summary>Counts one request from <paramref name="key"/> (a client address or an API caller) and says whether it is over <paramref name="limit"/>.</summary>
    public async Task<bool> IsRequesterOverLimitAsync(string kind, string? key, int limit, string applicationId, CancellationToken cancellationToken)
    {
        if (key is null || !await throttle.IsOverLimitAsync(kind, key, limit, AddressWindow, cancellationToken))
        {
            return false;
        }

        Log.AddressThrottled(logger, applicationId);
        return true;
    }

    /// <summary>
    /// "Forgot password" for whatever the person typed. Sends the reset email only to an ACTIVE user of the
    /// built-in identity provider (with or without a password) and always returns the same nothing: the
    /// caller answers identically whether or not an email went out.
    /// </summary>
    public async Task RequestAsync(Application application, Tenant tenant, string identifier, WorkflowContext context, CancellationToken cancellationToken)
    {
        var key = Normalize.Key(identifier);
        if (key.Length is 0 or > MaxIdentifierLength)
        {
            Log.ResetRequestIgnored(logger, tenant.Id);
            return;
        }

        // Counted before the lookup, for known and unknown identifiers alike, so the work done does not tell them apart.
        if (await throttle.IsOverLimitAsync("pwreset-id", tenant.Id + ":" + key, EmailsPerAccount, EmailWindow, cancellationToken))
        {
            Log.ResetEmailThrottled(logger, tenant.Id);
            return;
        }

        var user = await db.Users.AsNoTracking()
            .Where(u => u.IdentityProviderName == IdentityProvider.BuiltInName && (u.NormalizedEmail == key || u.NormalizedUsername == key))
            .FirstOrDefaultAsync(cancellationToken);
        if (user is not { Status: UserStatus.Active })
        {
            Log.ResetRequestIgnored(logger, tenant.Id);
            return;
        }

        await SendResetEmailAsync(application, tenant, user, context, cancellationToken);
    }

    /// <summary>Queues a reset email for a user already known to be eligible (also the login page's missing-password remediation).</summary>
    public async Task SendResetEmailAsync(Application application, Tenant tenant, User user, WorkflowContext context, CancellationToken cancellationToken)
    {
        // Per account as well as per identifier: email and username of one user share this budget.
        if (await throttle.IsOverLimitAsync("pwreset-user", tenant.Id + ":" + user.Id, EmailsPerAccount, EmailWindow, cancellationToken))
        {
            Log.ResetEmailThrottled(logger, tenant.Id);
            return;
        }

        // Issuing supersedes the user's earlier reset codes at once; the transaction keeps that and the new code together.
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await mail.SendActionEmailAsync(application, tenant, user, EmailTypes.PasswordReset, context, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Log.ResetEmailQueued(logger, tenant.Id, user.Id);
    }

    /// <summary>The client the user was signing in to, so that after the reset the user lands back in that application.</summary>
    public static WorkflowContext ContextFromReturnUrl(string? returnUrl)
    {
        if (!ReturnUrls.IsAuthorizeUrl(returnUrl))
        {
            return new WorkflowContext();
        }

        var query = QueryHelpers.ParseQuery(returnUrl![AuthorizeEndpoint.Path.Length..]);
        var clientId = query.TryGetValue("client_id", out var value) && value.Count == 1 && value[0] is { Length: > 0 and <= 100 } id ? id : null;
        return new WorkflowContext(ClientId: clientId);
    }

    /// <summary>Looks at a reset code without using it (nothing is written).</summary>
    public Task<WorkflowCode?> PeekAsync(string? code, CancellationToken cancellationToken) =>
        codes.PeekAsync(code, WorkflowPurpose.PasswordReset, cancellationToken);

    /// <summary>
    /// The user a peeked code lets reset, if the code belongs to <paramref name="tenant"/> (the scope the
    /// caller is in) and the user may still set a password: ACTIVE, built-in identity provider.
    /// </summary>
    public async Task<ResettableCode?> ResolveAsync(WorkflowCode? code, Tenant tenant, CancellationToken cancellationToken)
    {
        if (code is null || !string.Equals(code.TenantId, tenant.Id, StringComparison.Ordinal))
        {
            return null;
        }

        var user = await EligibleUserAsync(code.UserId, cancellationToken);
        return user is null ? null : new ResettableCode(code, user);
    }

    /// <summary>Every rule of the effective password policy that <paramref name="password"/> breaks (empty when acceptable).</summary>
    public async Task<IReadOnlyList<string>> CheckPasswordAsync(string password, CancellationToken cancellationToken) =>
        (await policies.PasswordAsync(cancellationToken)).Check(password);

    /// <summary>
    /// Uses the code and sets the new password, in one transaction: if anything is refused, the code stays
    /// usable and nothing is written. The password must already have passed <see cref="CheckPasswordAsync"/>.
    /// Null when the code was used, expired or superseded in the meantime, or the user can no longer reset.
    /// </summary>
    public async Task<ResetCompletion?> CompleteAsync(
        Application application, Tenant tenant, string code, string newPassword, CancellationToken cancellationToken)
    {
        var newPasswordHash = await hasher.HashAsync(newPassword, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var consumed = await codes.ConsumeAsync(code, WorkflowPurpose.PasswordReset, cancellationToken);
        if (consumed is null || !string.Equals(consumed.TenantId, tenant.Id, StringComparison.Ordinal))
        {
            return null; // rolled back: a code of another tenant is not spent by being shown here
        }

        var user = await EligibleUserAsync(consumed.UserId, cancellationToken);
        if (user is null)
        {
            return null;
        }

        // Following the emailed link proves the address as much as a verification link would.
        if (!user.EmailVerified)
        {
            user.EmailVerified = true;
            user.LastVerifiedAt = time.GetUtcNow();
        }

        await ApplyNewPasswordAsync(application, tenant, user, newPasswordHash, GrantRevokedOnReset, cancellationToken);

        string? redirectUrl = null, authSessionCode = null;
        var workflow = await policies.GetAsync<PasswordResetWorkflowPolicy>(PolicyKind.PasswordResetWorkflow, cancellationToken: cancellationToken);
        if (workflow.ImmediateLogin)
        {
            var context = WorkflowCodes.ReadContext(consumed);
            (redirectUrl, authSessionCode, _) = await handoff.IssueAsync(
                application, tenant, user.Id, Workflow.PasswordReset, new WorkflowContext(context.ClientId, context.State, Amr: ["pwd"]), cancellationToken);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Log.ResetCompleted(logger, tenant.Id, user.Id);
        return new ResetCompletion(user, redirectUrl, authSessionCode);
    }

    /// <summary>
    /// Sets a new password hash on a tracked user and ends everything the old one may have opened: every auth
    /// session, every grant (with its refresh and access tokens), every outstanding reset link. Queues the
    /// "password changed" notice. Saved by the caller, inside the caller's transaction; the hash is made before
    /// that transaction (<see cref="PasswordHasher.HashAsync"/>), because a transaction on SQLite holds the only
    /// writer and a hash takes a core for about 150 ms.
    /// </summary>
    public async Task ApplyNewPasswordAsync(
        Application application, Tenant tenant, User user, string newPasswordHash, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        user.PasswordHash = newPasswordHash;
        await db.AuthSessions.Where(s => s.UserId == user.Id && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), cancellationToken);

        // Grants are application-owned (the token endpoint reads them without a tenant), so the tenant is named here too.
        await db.Grants.Where(g => g.TenantId == tenant.Id && g.UserId == user.Id && g.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, reason), cancellationToken);
        await codes.RevokeAsync(tenant.Id, user.Id, WorkflowPurpose.PasswordReset, cancellationToken);
        await mail.SendPasswordChangedAsync(application, tenant, user, cancellationToken);
    }

    private Task<User?> EligibleUserAsync(string userId, CancellationToken cancellationToken) =>
        db.Users.AsTracking()
            .Where(u => u.Id == userId && u.Status == UserStatus.Active && u.IdentityProviderName == IdentityProvider.BuiltInName)
            .FirstOrDefaultAsync(cancellationToken);
}

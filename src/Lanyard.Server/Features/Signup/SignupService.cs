using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Roles;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Signup;

/// <summary>What a signup attempt came to; the pages and the provisioning API each render it their way.</summary>
internal abstract record SignupOutcome
{
    private SignupOutcome() { }

    /// <summary>Signup is switched off at this level (the page answers 404, the API 400 <c>signup_disabled</c>).</summary>
    public sealed record Disabled(string Message) : SignupOutcome;

    public sealed record Throttled : SignupOutcome;

    /// <summary>Field errors.</summary>
    public sealed record Invalid(ConstraintViolations Violations) : SignupOutcome;

    /// <summary>
    /// Tenant-level signup with the email of an account that exists already (and is not pending activation).
    /// Nothing is created. The hosted page answers exactly as for a new signup and mails the owner instead;
    /// the provisioning API, whose caller is an authenticated backend, gets <c>email: not_unique</c>.
    /// </summary>
    public sealed record EmailTaken(User Existing, Tenant Tenant) : SignupOutcome;

    /// <summary>The user waits for the activation email. <paramref name="Resent"/>: an earlier pending signup was found and nothing was created.</summary>
    public sealed record ActivationRequired(User User, Tenant Tenant, bool Resent) : SignupOutcome;

    /// <summary>Email-verification mode: the user is active and the browser is handed to a new auth session.</summary>
    public sealed record LoggedIn(User User, Tenant Tenant, string RedirectUrl, string AuthSessionCode) : SignupOutcome;
}

/// <summary>Rate limits of signup and of the emails it sends; configurable so tests and busy installs can change them.</summary>
internal sealed record SignupLimits(int SignupsPerAddress, TimeSpan AddressWindow, int EmailsPerRecipient, TimeSpan RecipientWindow)
{
    public static SignupLimits From(Hosting.ServerSettings settings) => new(
        settings.Workflows.SignupsPerAddress, TimeSpan.FromMinutes(10), settings.Workflows.EmailsPerRecipient, TimeSpan.FromHours(1));
}

/// <summary>
/// The one signup path behind the hosted signup pages and <c>POST /api/v1/signup/provision-user</c>.
/// Application level (no tenant given): creates the tenant and its first user in one transaction.
/// Tenant level (the caller has entered the tenant's scope): creates the user. Then, by the signup
/// workflow policy, either leaves the user PENDING_SIGNUP_ACTIVATION and mails the activation link, or
/// activates at once, mails an email-verification link and hands the browser to a new auth session.
/// Signing up again with the email of a user still pending activation re-sends the link and creates nothing.
/// </summary>
internal sealed partial class SignupService(
    LanyardDbContext db,
    TenantContext scope,
    CreateTenant createTenant,
    CreateUser createUser,
    PasswordHasher hasher,
    PolicyResolver policies,
    WorkflowMail mail,
    AuthSessionHandoff handoff,
    LoginThrottle throttle,
    SignupLimits limits,
    TimeProvider time,
    ILogger<SignupService> logger)
{
    public const string ApplicationSignupDisabled = "Application-level signup is disabled.";
    public const string TenantSignupDisabled = "Signup is disabled for this tenant.";

    /// <summary>Throttle kind shared by every email signup and activation send to one address, so one inbox cannot be flooded through either.</summary>
    public const string WorkflowEmailThrottle = "workflow-email";

    /// <summary>Whether the hosted application-level signup page and API exist for this application.</summary>
    public static bool ApplicationSignupOpen(Application application) => application.SignupEnabled && application.IsMultiTenant;

    public static bool TenantSignupOpen(Tenant tenant) => tenant.SignupEnabled && tenant.Status == TenantStatus.Active;

    /// <param name="tenant">Null for application-level signup; else the tenant whose scope the caller has entered.</param>
    public async Task<SignupOutcome> SignupAsync(
        Application application, Tenant? tenant, SignupInput input, string? clientAddress, CancellationToken cancellationToken)
    {
        if (tenant is null ? !ApplicationSignupOpen(application) : !TenantSignupOpen(tenant))
        {
            return new SignupOutcome.Disabled(tenant is null ? ApplicationSignupDisabled : TenantSignupDisabled);
        }

        if (await throttle.IsOverLimitAsync("signup-addr", clientAddress ?? "unknown", limits.SignupsPerAddress, limits.AddressWindow, cancellationToken))
        {
            Throttled(logger, application.Id, "address");
            return new SignupOutcome.Throttled();
        }

        // In a tenant scope these resolve the tenant's overrides; a brand-new tenant has none, so the application's apply.
        var schema = await policies.UserSchemaAsync(cancellationToken);
        var passwordPolicy = await policies.PasswordAsync(cancellationToken);
        var (values, violations) = SignupRules.Validate(
            input, tenant is null, schema, passwordPolicy, tenant?.AllowedSignupEmailDomains ?? [], DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime));
        if (values is null)
        {
            return new SignupOutcome.Invalid(violations);
        }

        if (await throttle.IsOverLimitAsync(WorkflowEmailThrottle, Normalize.Key(values.Email), limits.EmailsPerRecipient, limits.RecipientWindow, cancellationToken))
        {
            Throttled(logger, application.Id, "email");
            return new SignupOutcome.Throttled();
        }

        var context = new WorkflowContext(ClientId: await KnownClientAsync(input.ClientId, cancellationToken), State: string.IsNullOrEmpty(input.State) ? null : input.State);
        if (tenant is null)
        {
            var normalizedName = Normalize.Key(values.TenantName!);
            var existing = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.NormalizedName == normalizedName, cancellationToken);
            if (existing is not null)
            {
                // Signing up again into the tenant one's own pending signup created: the tenant name is "taken" by oneself.
                scope.Enter(application.Id, existing.Id);
                return await ResendIfPendingAsync(application, existing, values, context, cancellationToken)
                    ?? new SignupOutcome.Invalid(ConstraintViolations.Single(SignupRules.Fields.TenantName, ViolationCodes.NotUnique));
            }
        }
        else
        {
            var resent = await ResendIfPendingAsync(application, tenant, values, context, cancellationToken);
            if (resent is not null)
            {
                return resent;
            }

            var normalizedEmail = Normalize.Key(values.Email);
            var existing = await db.Users.AsNoTracking().FirstOrDefaultAsync(
                u => u.NormalizedEmail == normalizedEmail && u.IdentityProviderName == IdentityProviders.IdentityProvider.BuiltInName, cancellationToken);
            if (existing is not null)
            {
                return new SignupOutcome.EmailTaken(existing, tenant);
            }
        }

        return await CreateAsync(application, tenant, values, context, cancellationToken);
    }

    private async Task<SignupOutcome> CreateAsync(
        Application application, Tenant? tenant, SignupValues values, WorkflowContext context, CancellationToken cancellationToken)
    {
        // Read before a new tenant exists: a new tenant has no override, so the application's policy is the one in force.
        var verification = (await policies.SignupAsync(cancellationToken)).Verification;
        var passwordHash = values.Password is null ? null : await hasher.HashAsync(values.Password, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (tenant is null)
        {
            var created = await createTenant.ExecuteAsync(new CreateTenantRequest(values.TenantName, values.TenantDisplayName), cancellationToken);
            if (created is CreateTenantResult.Invalid invalidTenant)
            {
                return new SignupOutcome.Invalid(Rename(invalidTenant.Violations, ("name", SignupRules.Fields.TenantName), ("displayName", SignupRules.Fields.TenantDisplayName)));
            }

            tenant = ((CreateTenantResult.Created)created).Tenant;
            scope.Enter(application.Id, tenant.Id);
        }

        var active = verification == SignupVerification.EmailVerification;
        var result = await createUser.ExecuteAsync(new CreateUserRequest(
            values.Email, values.Password, values.Profile.Username, values.Profile.GivenName, values.Profile.FamilyName, values.Profile.FullName,
            EmailVerified: false, Status: active ? UserStatus.Active : UserStatus.PendingSignupActivation, PasswordHash: passwordHash), cancellationToken);
        if (result is CreateUserResult.Invalid invalidUser)
        {
            return new SignupOutcome.Invalid(invalidUser.Violations);
        }

        var user = ((CreateUserResult.Created)result).User;
        UserProfileRules.Apply(values.Profile, user); // the fields CreateUser does not take
        await AssignDefaultRolesAsync(user, cancellationToken);

        SignupOutcome outcome;
        if (active)
        {
            await mail.SendActionEmailAsync(application, tenant, user, EmailTypes.EmailVerification, context, cancellationToken);
            var (url, code, _) = await handoff.IssueAsync(application, tenant, user.Id, Workflow.Signup, context with { Amr = ["pwd"] }, cancellationToken);
            outcome = new SignupOutcome.LoggedIn(user, tenant, url, code);
        }
        else
        {
            await mail.SendActionEmailAsync(application, tenant, user, EmailTypes.UserActivation, context, cancellationToken);
            outcome = new SignupOutcome.ActivationRequired(user, tenant, Resent: false);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        SignedUp(logger, user.Id, tenant.Id, verification);
        return outcome;
    }

    /// <summary>
    /// Re-sends the activation email of a user of <paramref name="tenant"/> who signed up with this email and
    /// never activated. The newest signup's password replaces the pending one: otherwise whoever signed up
    /// first with someone else's address would hold the password of the account its owner later activates.
    /// </summary>
    private async Task<SignupOutcome?> ResendIfPendingAsync(
        Application application, Tenant tenant, SignupValues values, WorkflowContext context, CancellationToken cancellationToken)
    {
        var normalizedEmail = Normalize.Key(values.Email);
        var pending = await db.Users.AsTracking()
            .FirstOrDefaultAsync(u => u.NormalizedEmail == normalizedEmail && u.Status == UserStatus.PendingSignupActivation, cancellationToken);
        if (pending is null)
        {
            return null;
        }

        // Hashed before the transaction: on SQLite a transaction holds the only writer, and a hash takes ~150 ms of a core.
        var passwordHash = values.Password is null ? null : await hasher.HashAsync(values.Password, cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (passwordHash is not null)
        {
            pending.PasswordHash = passwordHash;
        }

        await mail.SendActionEmailAsync(application, tenant, pending, EmailTypes.UserActivation, context, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        ActivationResent(logger, pending.Id, tenant.Id);
        return new SignupOutcome.ActivationRequired(pending, tenant, Resent: true);
    }

    /// <summary>The role-assignment policy's signup roles, by id or name, among the roles this tenant can see.</summary>
    private async Task AssignDefaultRolesAsync(User user, CancellationToken cancellationToken)
    {
        var wanted = (await policies.RoleAssignmentAsync(cancellationToken)).DefaultSignupRoles;
        if (wanted.Count == 0)
        {
            return;
        }

        var visible = await db.Roles.AsNoTracking().Select(r => new { r.Id, r.Name }).ToListAsync(cancellationToken);
        var roleIds = visible
            .Where(r => wanted.Any(w => r.Id == w || string.Equals(r.Name, w, StringComparison.OrdinalIgnoreCase)
                                        || r.Name.EndsWith(":" + w, StringComparison.OrdinalIgnoreCase)))
            .Select(r => r.Id).Distinct().ToList();
        foreach (var roleId in roleIds)
        {
            db.UserRoles.Add(new UserRole { UserId = user.Id, RoleId = roleId });
        }

        if (roleIds.Count < wanted.Count)
        {
            RolesMissing(logger, user.TenantId, wanted.Count - roleIds.Count);
        }
    }

    /// <summary>A client id is only remembered when it names an interactive client of this application.</summary>
    private async Task<string?> KnownClientAsync(string? clientId, CancellationToken cancellationToken) =>
        string.IsNullOrEmpty(clientId) || clientId.Length > 100
            ? null
            : await db.Clients.AsNoTracking()
                .Where(c => c.Id == clientId && c.Type != OAuthClientType.MachineToMachine).Select(c => c.Id).FirstOrDefaultAsync(cancellationToken);

    private static ConstraintViolations Rename(ConstraintViolations violations, params (string From, string To)[] names)
    {
        var renamed = new ConstraintViolations();
        foreach (var (field, list) in violations.ByField)
        {
            var target = names.FirstOrDefault(n => n.From == field).To ?? field;
            list.ForEach(v => renamed.Add(target, v.Code, v.ConstraintAttributes));
        }

        return renamed;
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "User {UserId} signed up in tenant {TenantId} ({Verification})")]
    private static partial void SignedUp(ILogger logger, string userId, string tenantId, SignupVerification verification);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Signup repeated for pending user {UserId} in tenant {TenantId}: activation email re-sent")]
    private static partial void ActivationResent(ILogger logger, string userId, string tenantId);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Signup throttled in application {ApplicationId} (per {Kind})")]
    private static partial void Throttled(ILogger logger, string applicationId, string kind);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Warning, Message = "{Count} default signup role(s) of tenant {TenantId} name no visible role")]
    private static partial void RolesMissing(ILogger logger, string tenantId, int count);
}

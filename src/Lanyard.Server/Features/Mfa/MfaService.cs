using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.IdentityProviders;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;
using QRCoder;

namespace Lanyard.Server.Features.Mfa;

/// <summary>What an authenticator app needs to enroll: shown once, at enrollment only.</summary>
internal sealed record TotpEnrollment(string FactorId, string Secret, string OtpauthUri, string QrCode);

/// <summary>Whether MFA can be used by a user at all.</summary>
internal enum MfaAvailability
{
    Available,

    /// <summary>The user signs in through an external identity provider, which enforces its own MFA.</summary>
    ExternalUser,

    /// <summary>The MFA policy in force does not allow TOTP.</summary>
    TotpDisabled,
}

internal enum ChallengeOutcome
{
    VerifiedTotp,
    VerifiedRecoveryCode,
    Invalid,

    /// <summary>Too many attempts for this user in the window: nothing was checked.</summary>
    Locked,
}

/// <summary>A verified TOTP enrollment, with the new recovery code when the policy issues one (shown once).</summary>
internal sealed record EnrollmentVerified(string? RecoveryCode);

/// <summary>
/// Enrollment, challenge and removal of second factors, for the hosted pages and the APIs alike. The
/// caller must be in the user's tenant scope. Secrets: the TOTP seed is sealed with the master key, the
/// recovery code is stored only as its SHA-256, and neither is ever logged.
/// </summary>
internal sealed partial class MfaService(
    LanyardDbContext db, PolicyResolver policies, MasterKey masterKey, TimeProvider time, LoginThrottle throttle,
    WorkflowMail mail, EmailOutbox outbox, ILogger<MfaService> logger)
{
    public const string RevokedReason = "mfa_removed";

    /// <summary>Attempts per user and window; 5 per 15 minutes makes guessing a 6-digit code hopeless (≈ 480 tries a day).</summary>
    public const int AttemptLimit = 5;

    public static readonly TimeSpan AttemptWindow = TimeSpan.FromMinutes(15);

    private const string ThrottleKind = "mfa";

    private readonly SecretBox _box = new(masterKey, "mfa-totp");

    private DbSet<MfaFactor> Factors => db.Set<MfaFactor>();

    public async Task<MfaAvailability> AvailabilityAsync(User user, CancellationToken cancellationToken)
    {
        if (user.IdentityProviderName != IdentityProvider.BuiltInName)
        {
            return MfaAvailability.ExternalUser;
        }

        return (await PolicyAsync(cancellationToken)).TotpEnabled ? MfaAvailability.Available : MfaAvailability.TotpDisabled;
    }

    public Task<MfaPolicy> PolicyAsync(CancellationToken cancellationToken) =>
        policies.GetAsync<MfaPolicy>(PolicyKind.Mfa, cancellationToken: cancellationToken);

    public Task<bool> HasActiveTotpAsync(string userId, CancellationToken cancellationToken) =>
        Factors.AnyAsync(f => f.UserId == userId && f.Type == MfaFactorType.Totp && f.Status == MfaFactorStatus.Active, cancellationToken);

    /// <summary>
    /// Starts (or restarts) a TOTP enrollment: a new seed in a PENDING_VERIFICATION factor, replacing any
    /// earlier pending one. The user's active authenticator keeps working until the new one is verified.
    /// </summary>
    public async Task<TotpEnrollment> BeginTotpEnrollmentAsync(Application application, User user, CancellationToken cancellationToken)
    {
        var secret = System.Security.Cryptography.RandomNumberGenerator.GetBytes(TotpCodes.SecretBytes);
        var now = time.GetUtcNow();
        await Factors.Where(f => f.UserId == user.Id && f.Type == MfaFactorType.Totp && f.Status == MfaFactorStatus.PendingVerification)
            .ExecuteDeleteAsync(cancellationToken);
        var factor = new MfaFactor
        {
            Id = LanyardId.New(time),
            UserId = user.Id,
            Type = MfaFactorType.Totp,
            Status = MfaFactorStatus.PendingVerification,
            EncryptedSecret = _box.Seal(secret),
            CreatedAt = now,
            UpdatedAt = now,
        };
        Factors.Add(factor);
        await db.SaveChangesAsync(cancellationToken);
        Log.EnrollmentStarted(logger, user.TenantId, user.Id, factor.Id);
        return await DescribeAsync(application, user, factor.Id, secret, cancellationToken);
    }

    /// <summary>The pending enrollment again (after a mistyped code), or null when there is no such pending factor.</summary>
    public async Task<TotpEnrollment?> PendingEnrollmentAsync(Application application, User user, string? factorId, CancellationToken cancellationToken)
    {
        var factor = await PendingAsync(user.Id, factorId, cancellationToken);
        return factor is null ? null : await DescribeAsync(application, user, factor.Id, _box.Open(factor.EncryptedSecret), cancellationToken);
    }

    /// <summary>
    /// Completes enrollment with the first code (current step ±1). The factor becomes ACTIVE and remembers
    /// the step, any earlier authenticator is retired, and — when the policy allows recovery codes — a new
    /// recovery code replaces the old one. Null: no such pending factor, or a wrong code.
    /// </summary>
    public async Task<EnrollmentVerified?> VerifyTotpEnrollmentAsync(User user, string? factorId, string? code, CancellationToken cancellationToken)
    {
        var factor = await PendingAsync(user.Id, factorId, cancellationToken);
        if (factor is null)
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (TotpCodes.MatchingStep(_box.Open(factor.EncryptedSecret), code, now) is not { } step)
        {
            Log.EnrollmentCodeRefused(logger, user.TenantId, user.Id);
            return null;
        }

        var policy = await PolicyAsync(cancellationToken);
        string? recoveryCode;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await Factors.Where(f => f.UserId == user.Id && f.Id != factor.Id && f.Type == MfaFactorType.Totp).ExecuteDeleteAsync(cancellationToken);
            factor.Status = MfaFactorStatus.Active;
            factor.LastUsedStep = step;
            factor.VerifiedAt = now;
            factor.LastUsedAt = now;
            factor.UpdatedAt = now;
            recoveryCode = policy.RecoveryCodesEnabled ? await ReplaceRecoveryCodeAsync(user, cancellationToken) : null;
            if (recoveryCode is null)
            {
                // Re-enrollment always invalidates the old recovery code, even when no new one is issued.
                await Factors.Where(f => f.UserId == user.Id && f.Type == MfaFactorType.RecoveryCode && f.Status == MfaFactorStatus.Active)
                    .ExecuteDeleteAsync(cancellationToken);
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        Log.EnrollmentVerified(logger, user.TenantId, user.Id, factor.Id);
        return new EnrollmentVerified(recoveryCode);
    }

    /// <summary>
    /// A new recovery code for a user with an active authenticator (the old one stops working). Null when
    /// the user has no active TOTP or the policy does not allow recovery codes.
    /// </summary>
    public async Task<string?> RegenerateRecoveryCodeAsync(User user, CancellationToken cancellationToken)
    {
        if (!(await PolicyAsync(cancellationToken)).RecoveryCodesEnabled || !await HasActiveTotpAsync(user.Id, cancellationToken))
        {
            return null;
        }

        string code;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            code = await ReplaceRecoveryCodeAsync(user, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return code;
    }

    /// <summary>
    /// Checks a TOTP code or the recovery code. The attempt is counted first (its own counter, not the
    /// password's), so parallel guesses cannot exceed the limit; acceptance is one conditional update, so a
    /// code — or any earlier one — is accepted once across every server sharing the database.
    /// </summary>
    public async Task<ChallengeOutcome> VerifyChallengeAsync(
        Application application, Tenant tenant, User user, string? totpCode, string? recoveryCode, CancellationToken cancellationToken)
    {
        var throttleValue = tenant.Id + ":" + user.Id;
        if (await throttle.IsOverLimitAsync(ThrottleKind, throttleValue, AttemptLimit, AttemptWindow, cancellationToken))
        {
            Log.ChallengeLocked(logger, tenant.Id, user.Id);
            return ChallengeOutcome.Locked;
        }

        var outcome = recoveryCode is not null
            ? await VerifyRecoveryCodeAsync(application, tenant, user, recoveryCode, cancellationToken)
            : await VerifyTotpAsync(user, totpCode, cancellationToken);
        if (outcome == ChallengeOutcome.Invalid)
        {
            Log.ChallengeRefused(logger, tenant.Id, user.Id);
        }
        else
        {
            await ClearAttemptsAsync(throttleValue, cancellationToken);
            Log.ChallengeVerified(logger, tenant.Id, user.Id, outcome == ChallengeOutcome.VerifiedTotp ? MfaPolicy.Totp : MfaPolicy.RecoveryCode);
        }

        return outcome;
    }

    /// <summary>
    /// Removes every factor of the user and ends everything a session without them may not keep: every
    /// auth session and every grant (refresh and access tokens die with it).
    /// </summary>
    public async Task RemoveFactorsAsync(User user, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await Factors.Where(f => f.UserId == user.Id).ExecuteDeleteAsync(cancellationToken);
        await db.AuthSessions.Where(s => s.UserId == user.Id && s.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), cancellationToken);

        // Grants are application-owned, so the tenant is named here too.
        await db.Grants.Where(g => g.TenantId == user.TenantId && g.UserId == user.Id && g.RevokedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(g => g.RevokedAt, now).SetProperty(g => g.RevokedReason, RevokedReason), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Log.FactorsRemoved(logger, user.TenantId, user.Id);
    }

    private async Task<ChallengeOutcome> VerifyTotpAsync(User user, string? code, CancellationToken cancellationToken)
    {
        var factor = await Factors.AsNoTracking()
            .Where(f => f.UserId == user.Id && f.Type == MfaFactorType.Totp && f.Status == MfaFactorStatus.Active)
            .Select(f => new { f.Id, f.EncryptedSecret })
            .FirstOrDefaultAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (factor?.EncryptedSecret is null || TotpCodes.MatchingStep(_box.Open(factor.EncryptedSecret), code, now) is not { } step)
        {
            return ChallengeOutcome.Invalid;
        }

        // The replay defence: only a step later than every step accepted so far is taken, atomically.
        var accepted = await Factors
            .Where(f => f.Id == factor.Id && f.Status == MfaFactorStatus.Active && (f.LastUsedStep == null || f.LastUsedStep < step))
            .ExecuteUpdateAsync(u => u.SetProperty(f => f.LastUsedStep, step).SetProperty(f => f.LastUsedAt, now).SetProperty(f => f.UpdatedAt, now), cancellationToken);
        if (accepted == 0)
        {
            Log.TotpReplayed(logger, user.TenantId, user.Id);
            return ChallengeOutcome.Invalid;
        }

        return ChallengeOutcome.VerifiedTotp;
    }

    private async Task<ChallengeOutcome> VerifyRecoveryCodeAsync(
        Application application, Tenant tenant, User user, string recoveryCode, CancellationToken cancellationToken)
    {
        var hash = TotpCodes.RecoveryCodeHash(recoveryCode);
        if (hash is null || !(await PolicyAsync(cancellationToken)).RecoveryCodesEnabled || !await HasActiveTotpAsync(user.Id, cancellationToken))
        {
            return ChallengeOutcome.Invalid;
        }

        var now = time.GetUtcNow();
        var used = await Factors
            .Where(f => f.UserId == user.Id && f.Type == MfaFactorType.RecoveryCode && f.Status == MfaFactorStatus.Active && f.CodeHash == hash)
            .ExecuteUpdateAsync(u => u.SetProperty(f => f.Status, MfaFactorStatus.Used).SetProperty(f => f.LastUsedAt, now).SetProperty(f => f.UpdatedAt, now), cancellationToken);
        if (used == 0)
        {
            return ChallengeOutcome.Invalid;
        }

        var brand = await mail.BrandAsync(application, tenant, cancellationToken);
        outbox.Enqueue(EmailTemplates.RecoveryCodeUsed(brand, $"https://{application.TenantHost(tenant)}/login"), user.Email, tenant.Id);
        await db.SaveChangesAsync(cancellationToken);
        return ChallengeOutcome.VerifiedRecoveryCode;
    }

    /// <summary>Adds a new ACTIVE recovery code to the unit of work after deleting the active one; returns it in plain text, once.</summary>
    private async Task<string> ReplaceRecoveryCodeAsync(User user, CancellationToken cancellationToken)
    {
        await Factors.Where(f => f.UserId == user.Id && f.Type == MfaFactorType.RecoveryCode && f.Status == MfaFactorStatus.Active)
            .ExecuteDeleteAsync(cancellationToken);
        var code = TotpCodes.NewRecoveryCode();
        var now = time.GetUtcNow();
        Factors.Add(new MfaFactor
        {
            Id = LanyardId.New(time),
            UserId = user.Id,
            Type = MfaFactorType.RecoveryCode,
            Status = MfaFactorStatus.Active,
            CodeHash = TotpCodes.RecoveryCodeHash(code),
            CreatedAt = now,
            UpdatedAt = now,
            VerifiedAt = now,
        });
        Log.RecoveryCodeIssued(logger, user.TenantId, user.Id);
        return code;
    }

    private Task<MfaFactor?> PendingAsync(string userId, string? factorId, CancellationToken cancellationToken) =>
        string.IsNullOrEmpty(factorId) || factorId.Length > 26
            ? Task.FromResult<MfaFactor?>(null)
            : Factors.AsTracking().FirstOrDefaultAsync(
                f => f.Id == factorId && f.UserId == userId && f.Type == MfaFactorType.Totp && f.Status == MfaFactorStatus.PendingVerification && f.EncryptedSecret != null,
                cancellationToken);

    private async Task<TotpEnrollment> DescribeAsync(Application application, User user, string factorId, byte[] secret, CancellationToken cancellationToken)
    {
        var policy = await PolicyAsync(cancellationToken);
        var issuer = string.IsNullOrWhiteSpace(policy.TotpSettings.Issuer) ? application.DisplayName : policy.TotpSettings.Issuer.Trim();
        var encodedSecret = TotpCodes.Base32(secret);
        var label = Uri.EscapeDataString(issuer) + ":" + Uri.EscapeDataString(user.Email);
        var uri = $"otpauth://totp/{label}?secret={encodedSecret}&issuer={Uri.EscapeDataString(issuer)}&algorithm=SHA1&digits={TotpCodes.Digits}&period={TotpCodes.StepSeconds}";
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(uri, QRCodeGenerator.ECCLevel.M);
        var png = new PngByteQRCode(data).GetGraphic(5);
        return new TotpEnrollment(factorId, encodedSecret, uri, "data:image/png;base64," + Convert.ToBase64String(png));
    }

    /// <summary>
    /// A passed challenge resets the user's attempt count, as a successful login does for passwords: otherwise
    /// five honest logins in the window would lock the user out.
    /// </summary>
    private Task ClearAttemptsAsync(string value, CancellationToken cancellationToken) =>
        throttle.ClearAsync(ThrottleKind, value, cancellationToken);
}

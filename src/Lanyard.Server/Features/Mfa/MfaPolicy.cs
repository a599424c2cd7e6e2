namespace Lanyard.Server.Features.Mfa;

/// <summary>
/// The MFA policy (policy kind <c>Mfa</c>), in Wristband's shape: which factors are allowed and whether
/// enrollment is required. An application row is the default; a tenant's own copy applies while the
/// tenant's MFA override toggle is on.
/// </summary>
internal sealed class MfaPolicy
{
    public const string Totp = "TOTP";
    public const string RecoveryCode = "RECOVERY_CODE";

    public MfaEnrollmentStrategy EnrollmentStrategy { get; set; } = MfaEnrollmentStrategy.Optional;

    /// <summary><c>TOTP</c> and/or <c>RECOVERY_CODE</c>. TOTP must be allowed for MFA to work at all; a recovery code alone is not a factor.</summary>
    public List<string> AllowedAuthFactors { get; set; } = [Totp, RecoveryCode];

    public TotpSettings TotpSettings { get; set; } = new();

    /// <summary>
    /// An application's own MFA page (https; may hold <c>{tenant_name}</c>/<c>{tenant_domain}</c>). When set, authorize
    /// sends a session that owes its second factor there, with an <c>mfa_token</c>, instead of to the hosted pages.
    /// </summary>
    public string? SelfHostedPageUrl { get; set; }

    public bool TotpEnabled => AllowedAuthFactors.Contains(Totp);

    public bool RecoveryCodesEnabled => TotpEnabled && AllowedAuthFactors.Contains(RecoveryCode);

    public bool EnrollmentRequired => TotpEnabled && EnrollmentStrategy == MfaEnrollmentStrategy.Required;
}

internal sealed class TotpSettings
{
    /// <summary>The name shown in the authenticator app; null: the application's display name.</summary>
    public string? Issuer { get; set; }
}

internal enum MfaEnrollmentStrategy
{
    Optional,
    Required,
}

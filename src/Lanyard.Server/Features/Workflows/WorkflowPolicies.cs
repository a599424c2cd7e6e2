using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Policies;

namespace Lanyard.Server.Features.Workflows;

/// <summary>How a new sign-up proves its email address (policy kind <c>SignupWorkflow</c>).</summary>
internal sealed class SignupWorkflowPolicy
{
    public SignupVerification Verification { get; set; } = SignupVerification.UserActivation;

    /// <summary>Where the browser goes at the end of signup or activation instead of the login URL; may hold <c>{tenant_name}</c>. Honoured on the tenant's own copy.</summary>
    public string? CustomRedirectUrl { get; set; }
}

internal enum SignupVerification
{
    /// <summary>The user stays PENDING_SIGNUP_ACTIVATION until the activation link is used.</summary>
    UserActivation,

    /// <summary>The user is ACTIVE and logged in at once; the email stays unverified until the link is used.</summary>
    EmailVerification,
}

/// <summary>The redirect and link settings of the other workflows (password reset, invitations).</summary>
internal sealed class RedirectWorkflowPolicy
{
    public string? CustomRedirectUrl { get; set; }

    /// <summary>For new-user invitations: what accepting does with an email address that was not verified by the link itself.</summary>
    public SignupVerification UnverifiedEmailAction { get; set; } = SignupVerification.UserActivation;
}

/// <summary>What happens when a user without a password tries to sign in (policy kind <c>LoginWorkflow</c>).</summary>
internal sealed class LoginWorkflowPolicy
{
    /// <summary>On (the default): such a user is sent a password-reset email instead of a bare failure.</summary>
    public bool MissingPasswordRemediation { get; set; } = true;
}

/// <summary>One email type's link settings (policy kind <c>Email</c>, sub-key = the email type).</summary>
internal sealed class EmailPolicy
{
    /// <summary>A self-hosted page to send the link to instead of Lanyard's; may hold <c>{tenant_name}</c>. The code goes into its <c>code</c> query parameter.</summary>
    public string? ActionLinkUrl { get; set; }

    public int? ActionLinkLifetime { get; set; }

    public LifetimeUnit ActionLinkLifetimeUnit { get; set; } = LifetimeUnit.Minutes;

    public TimeSpan Lifetime(string emailType) => ActionLinkLifetime is { } value and >= 1 and <= 10080
        ? ActionLinkLifetimeUnit switch
        {
            LifetimeUnit.Hours => TimeSpan.FromHours(value),
            LifetimeUnit.Days => TimeSpan.FromDays(value),
            _ => TimeSpan.FromMinutes(value),
        }
        : DefaultLifetime(emailType);

    /// <summary>Short for what grants access now (reset, discovery), longer for what only confirms an address or invites.</summary>
    public static TimeSpan DefaultLifetime(string emailType) => emailType switch
    {
        EmailTypes.PasswordReset => TimeSpan.FromHours(1),
        EmailTypes.TenantDiscovery => TimeSpan.FromHours(1),
        EmailTypes.NewUserInvitation or EmailTypes.ExistingUserInvitation => TimeSpan.FromDays(7),
        _ => TimeSpan.FromDays(1),
    };
}

internal enum LifetimeUnit
{
    Minutes,
    Hours,
    Days,
}

/// <summary>Which profile fields signup and invitation forms require (policy kind <c>UserSchema</c>). Email is always required; externalId never appears.</summary>
internal sealed class UserSchemaPolicy
{
    public bool FullNameRequired { get; set; }
    public bool GivenNameRequired { get; set; }
    public bool FamilyNameRequired { get; set; }
    public bool PhoneNumberRequired { get; set; }
    public bool BirthdateRequired { get; set; }
    public bool UsernameRequired { get; set; }

    /// <summary>Password is required by default: the built-in identity provider's login factor is the password.</summary>
    public bool PasswordRequired { get; set; } = true;
}

/// <summary>Roles given automatically (policy kind <c>RoleAssignment</c>): role names (or ids) of the application or tenant.</summary>
internal sealed class RoleAssignmentPolicy
{
    public List<string> DefaultSignupRoles { get; set; } = [];
    public List<string> DefaultIdpUserSyncRoles { get; set; } = [];
}

/// <summary>Password rules (policy kind <c>Password</c>); enforced by <see cref="PasswordReset.PasswordRules"/>.</summary>
internal sealed class PasswordPolicy
{
    public int MinimumLength { get; set; } = 8;
    public bool LowercaseCharRequired { get; set; }
    public bool UppercaseCharRequired { get; set; }
    public bool DigitRequired { get; set; }
    public bool SpecialCharRequired { get; set; }

    /// <summary>Refuse passwords found in the offline list of common/breached passwords.</summary>
    public bool BreachedPwdDetectionEnabled { get; set; }

    /// <summary>What a correct login with such a password leads to.</summary>
    public BreachedPasswordRemediation BreachedPwdLoginRemediationStrategy { get; set; } = BreachedPasswordRemediation.None;

    /// <summary>Every violated rule, as Wristband's violation codes; empty when the password is acceptable.</summary>
    public IReadOnlyList<string> Check(string password) => PasswordReset.PasswordRules.Check(this, password);
}

internal enum BreachedPasswordRemediation
{
    /// <summary>The login goes on; the rule applies the next time a password is set.</summary>
    None,

    /// <summary>The login stops and the user is sent a link to set a new password.</summary>
    RequirePasswordReset,
}

/// <summary>Colours and logo of emails (policy kind <c>EmailBranding</c>).</summary>
internal sealed class EmailBrandingPolicy
{
    public const string DefaultButtonColor = "#1f4fd1";
    public const string DefaultButtonTextColor = "#ffffff";

    public string? LogoUrl { get; set; }

    [System.Text.Json.Serialization.JsonPropertyName("primaryButtonBackgroundColor")]
    public string PrimaryButtonColor { get; set; } = DefaultButtonColor;

    [System.Text.Json.Serialization.JsonPropertyName("primaryButtonTextColor")]
    public string PrimaryButtonFontColor { get; set; } = DefaultButtonTextColor;

    public int? PrimaryButtonBorderRadiusPixels { get; set; }
    public int? LogoHeightPixels { get; set; }
    public int? LogoWidthPixels { get; set; }
}

internal static class WorkflowPolicyReads
{
    public static Task<SignupWorkflowPolicy> SignupAsync(this PolicyResolver policies, CancellationToken cancellationToken) =>
        policies.GetAsync<SignupWorkflowPolicy>(PolicyKind.SignupWorkflow, cancellationToken: cancellationToken);

    public static Task<EmailPolicy> EmailAsync(this PolicyResolver policies, string emailType, CancellationToken cancellationToken) =>
        policies.GetAsync<EmailPolicy>(PolicyKind.Email, emailType, cancellationToken);

    public static Task<UserSchemaPolicy> UserSchemaAsync(this PolicyResolver policies, CancellationToken cancellationToken) =>
        policies.GetAsync<UserSchemaPolicy>(PolicyKind.UserSchema, cancellationToken: cancellationToken);

    public static Task<PasswordPolicy> PasswordAsync(this PolicyResolver policies, CancellationToken cancellationToken) =>
        policies.GetAsync<PasswordPolicy>(PolicyKind.Password, cancellationToken: cancellationToken);

    public static Task<RoleAssignmentPolicy> RoleAssignmentAsync(this PolicyResolver policies, CancellationToken cancellationToken) =>
        policies.GetAsync<RoleAssignmentPolicy>(PolicyKind.RoleAssignment, cancellationToken: cancellationToken);
}

using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Policies;

/// <summary>
/// Storage for every policy kind: one row per (owner, kind, sub-key), the settings as JSON owned by
/// the feature that reads them. An application row is the default; a tenant row applies only while
/// the tenant's <see cref="PolicyOverrideToggle"/> for that kind is enabled. <see cref="PolicyResolver"/>
/// answers "what is in force for tenant T, and where did it come from"; <see cref="PolicyEndpoints"/> manages rows.
/// </summary>
internal sealed class Policy : IApplicationOrTenantOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    /// <summary>Null: owned by the application. Set: the tenant's override copy.</summary>
    public string? TenantId { get; set; }

    public PolicyKind Kind { get; set; }

    /// <summary>Distinguishes several policies of one kind per owner, e.g. the email type of an email policy; "" otherwise.</summary>
    public string SubKey { get; set; } = "";

    /// <summary>The policy's settings as a JSON object.</summary>
    public string Settings { get; set; } = "{}";

    public PolicyOwnerType OwnerType => TenantId is null ? PolicyOwnerType.Application : PolicyOwnerType.Tenant;

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

/// <summary>Whether a tenant's own copy of one policy kind is in force.</summary>
internal sealed class PolicyOverrideToggle : IApplicationOwned, ITenantOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public string TenantId { get; set; } = "";
    public PolicyKind Kind { get; set; }
    public bool Enabled { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal enum PolicyOwnerType
{
    Application,
    Tenant,
}

internal enum PolicyKind
{
    Password,
    Mfa,
    SignupWorkflow,
    Email,
    AuthSession,
    PageBranding,
    EmailBranding,
    RoleAssignment,
    UserSchema,
    IdentityProviders,
    PasswordResetWorkflow,
    NewUserInvitationWorkflow,
    ExistingUserInvitationWorkflow,
    LoginWorkflow,

    /// <summary>The application's custom token claims (application-wide only; see Features/Tokens/CustomClaims.cs).</summary>
    TokenClaims,
}

using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Users;

/// <summary>
/// A person who logs in to one tenant through one identity provider. Email, username and external id
/// are unique per (tenant, identity provider): the same email may exist in two tenants.
/// </summary>
internal sealed class User : IApplicationOwned, ITenantOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public string TenantId { get; set; } = "";

    public required string IdentityProviderId { get; set; }

    /// <summary>Denormalised from the identity provider (<c>wristband</c> for the built-in one) for token claims.</summary>
    public required string IdentityProviderName { get; set; }

    public required string Email { get; set; }
    public required string NormalizedEmail { get; set; }
    public bool EmailVerified { get; set; }

    public string? Username { get; set; }
    public string? NormalizedUsername { get; set; }

    /// <summary>The subject at an external identity provider; never shown on hosted forms.</summary>
    public string? ExternalId { get; set; }

    public string? FullName { get; set; }
    public string? GivenName { get; set; }
    public string? FamilyName { get; set; }
    public string? MiddleName { get; set; }
    public string? HonorificPrefix { get; set; }
    public string? HonorificSuffix { get; set; }
    public string? Nickname { get; set; }
    public string? DisplayName { get; set; }
    public string? PictureUrl { get; set; }
    public string? Gender { get; set; }
    public DateOnly? Birthdate { get; set; }

    /// <summary>E.164, at most 16 characters.</summary>
    public string? PhoneNumber { get; set; }

    public string? PreferredLanguage { get; set; }
    public string? Locale { get; set; }
    public string? TimeZone { get; set; }

    /// <summary>A self-describing hash (<c>$pbkdf2-sha256$…</c>); null while the user has no password.</summary>
    public string? PasswordHash { get; set; }

    public bool HasPassword => PasswordHash is not null;

    public UserStatus Status { get; set; } = UserStatus.Provisioned;

    public string? PublicMetadata { get; set; }
    public string? RestrictedMetadata { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? ActivatedAt { get; set; }
    public DateTimeOffset? DeactivatedAt { get; set; }
    public DateTimeOffset? LastVerifiedAt { get; set; }
    public long Version { get; set; }
}

internal enum UserStatus
{
    /// <summary>Can authenticate.</summary>
    Active,

    /// <summary>Deactivated; re-activated by an existing-user invitation or by an administrator.</summary>
    Inactive,

    /// <summary>Created by an administrator or the API; cannot log in until activated.</summary>
    Provisioned,

    /// <summary>Created by signup; waits for the activation email's link.</summary>
    PendingSignupActivation,

    /// <summary>Created by a new-user invitation; waits for the invitation to be accepted.</summary>
    PendingInviteActivation,
}

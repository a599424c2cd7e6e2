using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Tenants;

/// <summary>
/// A customer organisation of the application. Every user belongs to exactly one tenant, and the
/// tenant's name is part of its host, so the name is immutable once created.
/// </summary>
internal sealed class Tenant : IApplicationOwned, IVersioned
{
    public required string Id { get; set; }
    public required string ApplicationId { get; set; }

    /// <summary>As entered (3–20 characters); immutable.</summary>
    public required string Name { get; set; }

    /// <summary>Lowercase <see cref="Name"/>; unique per application, used in host resolution.</summary>
    public required string NormalizedName { get; set; }

    public required string DisplayName { get; set; }

    public string? Description { get; set; }

    public string? LogoUrl { get; set; }

    public TenantStatus Status { get; set; } = TenantStatus.Active;

    public TenantType Type { get; set; } = TenantType.Standard;

    /// <summary>Tenant-level self signup; independent of the application's signup setting.</summary>
    public bool SignupEnabled { get; set; }

    /// <summary>Email domains allowed to self-sign-up into this tenant (lowercase, no leading @).</summary>
    public List<string> AllowedSignupEmailDomains { get; set; } = [];

    /// <summary>An optional host of the tenant's own (e.g. <c>login.acme.com</c>), lowercase, globally unique.</summary>
    public string? CustomDomain { get; set; }

    /// <summary>Requests on <see cref="CustomDomain"/> resolve to this tenant only once it is verified.</summary>
    public bool CustomDomainVerified { get; set; }

    public string? PublicMetadata { get; set; }
    public string? RestrictedMetadata { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal enum TenantStatus
{
    Active,
    Inactive,
    DeleteInProgress,
}

internal enum TenantType
{
    Standard,
    Global,
    Standalone,
}

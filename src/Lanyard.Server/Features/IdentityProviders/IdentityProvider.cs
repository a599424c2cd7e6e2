using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.IdentityProviders;

/// <summary>
/// Where a user's credentials live. Lanyard's own store is the built-in provider; it is named
/// <c>wristband</c> because applications and SDKs compare <c>idp_name</c> with that value.
/// </summary>
internal sealed class IdentityProvider : IApplicationOrTenantOwned, IVersioned
{
    public const string BuiltInName = "wristband";

    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    /// <summary>Null for an application-owned provider; set for a tenant's own (enterprise) provider.</summary>
    public string? TenantId { get; set; }

    public IdentityProviderType Type { get; set; } = IdentityProviderType.Wristband;

    /// <summary>1–70 characters, unique per owner (e.g. <c>wristband</c>, <c>okta</c>).</summary>
    public required string Name { get; set; }

    public required string DisplayName { get; set; }

    public IdentityProviderStatus Status { get; set; } = IdentityProviderStatus.Enabled;

    public bool IsExternal => Type != IdentityProviderType.Wristband;

    /// <summary>EMAIL, USERNAME: what a user may type to log in (built-in provider only).</summary>
    public List<string> LoginIdentifiers { get; set; } = ["EMAIL"];

    /// <summary>PASSWORD, MAGIC_LINK (built-in provider only).</summary>
    public List<string> LoginFactors { get; set; } = ["PASSWORD"];

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal enum IdentityProviderType
{
    Wristband,
    Apple,
    Bitbucket,
    Custom,
    Github,
    Gitlab,
    Google,
    GoogleWorkspace,
    Microsoft,
    MicrosoftEntraId,
    Okta,
}

internal enum IdentityProviderStatus
{
    Enabled,
    Disabled,
    DeleteInProgress,
}

using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Clients;

/// <summary>
/// An OAuth 2 client registered with the application. Redirect URIs may hold the
/// <c>{tenant_domain}</c> or <c>{tenant_name}</c> placeholder; a request must match a registered URI
/// exactly (placeholder included) before the placeholder is substituted on redirect.
/// </summary>
internal sealed class OAuthClient : IApplicationOwned, IVersioned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    public required string Name { get; set; }

    public OAuthClientType Type { get; set; }

    public List<string> RedirectUris { get; set; } = [];

    /// <summary>The application's login endpoint for this client; may contain <c>{tenant_domain}</c>.</summary>
    public string? LoginUrl { get; set; }

    /// <summary>AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS.</summary>
    public List<string> GrantTypes { get; set; } = [];

    /// <summary>Keyed hash of the secret (see <see cref="ClientSecretHasher"/>); null for public clients.</summary>
    public string? SecretHash { get; set; }

    /// <summary>
    /// The hash of the secret a rotation replaced, still accepted until <see cref="PreviousSecretExpiresAt"/>
    /// so that a deployment can roll the new secret out without downtime (see <see cref="OAuthClientSecrets"/>).
    /// </summary>
    public string? PreviousSecretHash { get; set; }

    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }

    /// <summary>Null means the default for the client type (on for SPA, off otherwise).</summary>
    public bool? RefreshTokenRotation { get; set; }

    public bool IsConfidential => Type is OAuthClientType.BackendServer or OAuthClientType.MachineToMachine;

    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public long Version { get; set; }
}

internal enum OAuthClientType
{
    BackendServer,
    Spa,
    Native,
    MachineToMachine,
}

internal static class GrantTypes
{
    public const string AuthorizationCode = "AUTHORIZATION_CODE";
    public const string RefreshToken = "REFRESH_TOKEN";
    public const string ClientCredentials = "CLIENT_CREDENTIALS";
}

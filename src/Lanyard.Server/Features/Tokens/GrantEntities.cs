using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// One user's authorization of one client: born when an authorization code is issued, it ties together
/// the code, every refresh token rotated from it and every access token minted from them (claim
/// <c>gid</c>). Revoking the grant revokes them all: code replay, refresh-token reuse, explicit revocation.
/// Grants are read at the token endpoint on the application host, so they are application-owned; the
/// tenant they belong to is recorded and enforced when the user is loaded.
/// </summary>
internal sealed class Grant : IApplicationOwned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public required string TenantId { get; set; }
    public required string ClientId { get; set; }
    public required string UserId { get; set; }
    public required string Scope { get; set; }
    public DateTimeOffset AuthTime { get; set; }
    public List<string> Amr { get; set; } = [];
    public string? SessionId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>No refresh token of this grant outlives this moment, however often it is refreshed.</summary>
    public DateTimeOffset AbsoluteExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
    public string? RevokedReason { get; set; }
}

/// <summary>A single-use authorization code, stored by hash only, bound to client, redirect URI, PKCE challenge and nonce.</summary>
internal sealed class AuthorizationCode : IApplicationOwned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";

    /// <summary>SHA-256 of the code, hex.</summary>
    public required string CodeHash { get; set; }

    public required string GrantId { get; set; }
    public required string ClientId { get; set; }

    /// <summary>The redirect URI exactly as the authorization request sent it (templates unsubstituted); null when it sent none.</summary>
    public string? RedirectUri { get; set; }

    public string? CodeChallenge { get; set; }
    public string? Nonce { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? RedeemedAt { get; set; }
}

/// <summary>A refresh token, stored by hash only. Rotation links each token to its successor.</summary>
internal sealed class RefreshToken : IApplicationOwned
{
    public required string Id { get; set; }
    public string ApplicationId { get; set; } = "";
    public required string TokenHash { get; set; }
    public required string GrantId { get; set; }
    public required string ClientId { get; set; }
    public required string Scope { get; set; }
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Idle expiry: pushed forward on each use of a non-rotating token, never past the grant's absolute expiry.</summary>
    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set when the token was exchanged for its successor (rotation); any later use is reuse.</summary>
    public DateTimeOffset? RotatedAt { get; set; }

    /// <summary>
    /// The token this one was rotated into. Reuse detection follows this link, not timestamps: whether a
    /// reused token is the immediate predecessor of the live one must not depend on clocks agreeing across nodes.
    /// </summary>
    public string? ReplacedById { get; set; }
}

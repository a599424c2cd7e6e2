using Lanyard.Server.Persistence;

namespace Lanyard.Server.Features.SigningKeys;

/// <summary>
/// An RS256 key of one application. Its life: published (in JWKS, not yet signing) → active (signing)
/// → retired (no longer signing, still published until every token it signed has expired) → gone.
/// The private key is stored encrypted with a key derived from the master key.
/// </summary>
internal sealed class SigningKey : IApplicationOwned
{
    /// <summary>Also the JWT <c>kid</c>.</summary>
    public required string Id { get; set; }

    public string ApplicationId { get; set; } = "";

    public string Algorithm { get; set; } = "RS256";

    /// <summary>SubjectPublicKeyInfo, DER.</summary>
    public required byte[] PublicKey { get; set; }

    /// <summary>PKCS#8 private key, encrypted with AES-GCM (nonce ‖ tag ‖ ciphertext).</summary>
    public required byte[] EncryptedPrivateKey { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>From this moment the key signs new tokens (if it is the newest such key).</summary>
    public DateTimeOffset ActivatesAt { get; set; }

    /// <summary>From this moment the key no longer signs; it stays published until <see cref="ExpiresAt"/>.</summary>
    public DateTimeOffset? RetiresAt { get; set; }

    /// <summary>Removed from JWKS: every token it signed has expired.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

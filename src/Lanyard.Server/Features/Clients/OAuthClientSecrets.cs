namespace Lanyard.Server.Features.Clients;

/// <summary>
/// Which secrets a confidential client may authenticate with: its current one, and for a grace period after a
/// rotation the one it replaced. Both are checked every time (no short cut on the first match), so the time a
/// check takes does not tell which of the two a guess was compared against.
/// </summary>
internal static class OAuthClientSecrets
{
    public static bool Accepts(this ClientSecretHasher hasher, OAuthClient client, string secret, DateTimeOffset now)
    {
        var current = hasher.Verify(secret, client.SecretHash);
        var previous = client.PreviousSecretExpiresAt is { } expiresAt && now < expiresAt && hasher.Verify(secret, client.PreviousSecretHash);
        return current | previous;
    }

    /// <summary>
    /// Replaces the secret; the old one keeps working for <paramref name="grace"/> (zero: it stops at once). A
    /// second rotation inside the grace period drops the first secret: only the one just replaced is kept.
    /// </summary>
    public static string Rotate(this ClientSecretHasher hasher, OAuthClient client, TimeSpan grace, DateTimeOffset now)
    {
        var secret = ClientSecretHasher.GenerateSecret();
        if (grace > TimeSpan.Zero && client.SecretHash is not null)
        {
            client.PreviousSecretHash = client.SecretHash;
            client.PreviousSecretExpiresAt = now + grace;
        }
        else
        {
            client.PreviousSecretHash = null;
            client.PreviousSecretExpiresAt = null;
        }

        client.SecretHash = hasher.Hash(secret);
        return secret;
    }
}

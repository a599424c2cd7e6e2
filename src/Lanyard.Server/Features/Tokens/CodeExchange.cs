using System.Security.Cryptography;
using System.Text;
using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// <c>grant_type=authorization_code</c>. Every check happens before the code is spent; the code is then
/// spent with a conditional update that only one request can win. A second redemption, in parallel or
/// later, revokes the grant and so every token the first redemption produced (RFC 9700 §4.2.4).
/// </summary>
internal sealed partial class CodeExchange(
    LanyardDbContext db, GrantSubject subjects, TokenIssuer issuer, ServerSettings settings, TimeProvider time, ILogger<CodeExchange> logger)
{
    public async Task<TokenOutcome> ExchangeAsync(Application application, OAuthClient client, IFormCollection form, CancellationToken cancellationToken)
    {
        if (!client.GrantTypes.Contains(GrantTypes.AuthorizationCode))
        {
            return TokenError.UnauthorizedClient("The client may not use the authorization code grant.");
        }

        string code = form["code"].ToString();
        if (string.IsNullOrEmpty(code) || code.Length > 100)
        {
            return TokenError.InvalidRequest("The code parameter is missing.");
        }

        var hash = OpaqueToken.Hash(code);
        var stored = await db.AuthorizationCodes.AsNoTracking().FirstOrDefaultAsync(c => c.CodeHash == hash, cancellationToken);
        if (stored is null)
        {
            return TokenError.InvalidGrant("The code is invalid or has expired.");
        }

        if (stored.RedeemedAt is not null)
        {
            await subjects.RevokeAsync(stored.GrantId, "code_reuse", cancellationToken);
            CodeReplayed(logger, stored.ClientId, stored.GrantId);
            return TokenError.InvalidGrant("The code is invalid or has expired.");
        }

        var now = time.GetUtcNow();
        if (!string.Equals(stored.ClientId, client.Id, StringComparison.Ordinal) || stored.ExpiresAt <= now)
        {
            return TokenError.InvalidGrant("The code is invalid or has expired.");
        }

        // RFC 6749 §4.1.3: an identical redirect_uri, compared literally (templates included).
        string? redirectUri = form["redirect_uri"];
        if (stored.RedirectUri is not null && !string.Equals(stored.RedirectUri, redirectUri, StringComparison.Ordinal))
        {
            return TokenError.InvalidGrant("The redirect_uri does not match the authorization request.");
        }

        if (VerifyPkce(stored.CodeChallenge, form["code_verifier"]) is { } pkceError)
        {
            return pkceError;
        }

        var grant = await db.Grants.AsNoTracking().FirstAsync(g => g.Id == stored.GrantId, cancellationToken);
        if (grant.RevokedAt is not null)
        {
            return TokenError.InvalidGrant("The code is invalid or has expired.");
        }

        var user = await subjects.LoadActiveAsync(grant, cancellationToken);
        if (user is null)
        {
            return TokenError.InvalidGrant("The user can no longer sign in.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var spent = await db.AuthorizationCodes.Where(c => c.Id == stored.Id && c.RedeemedAt == null)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.RedeemedAt, now), cancellationToken);
        if (spent == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            await subjects.RevokeAsync(stored.GrantId, "code_reuse", cancellationToken);
            CodeReplayed(logger, stored.ClientId, stored.GrantId);
            return TokenError.InvalidGrant("The code is invalid or has expired.");
        }

        string? refreshToken = null;
        if (Scopes.Parse(grant.Scope).Contains(Scopes.OfflineAccess) && client.GrantTypes.Contains(GrantTypes.RefreshToken))
        {
            refreshToken = OpaqueToken.New();
            db.RefreshTokens.Add(new RefreshToken
            {
                Id = LanyardId.New(time),
                TokenHash = OpaqueToken.Hash(refreshToken),
                GrantId = grant.Id,
                ClientId = client.Id,
                Scope = grant.Scope,
                CreatedAt = now,
                ExpiresAt = Min(now + settings.Protocol.RefreshTokenIdleLifetime, grant.AbsoluteExpiresAt),
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return await issuer.ForUserAsync(application, client, user, grant, grant.Scope, stored.Nonce, refreshToken, cancellationToken);
    }

    /// <summary>RFC 7636 §4.6 with downgrade protection: a verifier without a stored challenge is refused too.</summary>
    private static TokenError? VerifyPkce(string? challenge, string? verifier)
    {
        if (challenge is null)
        {
            return string.IsNullOrEmpty(verifier) ? null : TokenError.InvalidGrant("No code challenge was sent for this code.");
        }

        if (string.IsNullOrEmpty(verifier))
        {
            return TokenError.InvalidGrant("The code_verifier is missing.");
        }

        if (!Pkce.IsValidVerifier(verifier))
        {
            return TokenError.InvalidGrant("The code_verifier is malformed.");
        }

        var computed = Base64Url.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(computed), Encoding.ASCII.GetBytes(challenge))
            ? null
            : TokenError.InvalidGrant("The code_verifier does not match the code challenge.");
    }

    internal static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "Authorization code replayed by client {ClientId}: grant {GrantId} revoked")]
    private static partial void CodeReplayed(ILogger logger, string clientId, string grantId);
}

/// <summary>RFC 7636 syntax rules.</summary>
internal static class Pkce
{
    /// <summary>43–128 characters of <c>[A-Za-z0-9-._~]</c> (§4.1).</summary>
    public static bool IsValidVerifier(string verifier) =>
        verifier.Length is >= 43 and <= 128 && verifier.All(IsUnreserved);

    /// <summary>An S256 challenge is base64url of 32 bytes: exactly 43 characters.</summary>
    public static bool IsValidS256Challenge(string challenge) =>
        challenge.Length == 43 && challenge.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static bool IsUnreserved(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';
}

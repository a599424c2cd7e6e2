using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Tokens;

/// <summary>
/// <c>grant_type=refresh_token</c>. A rotating refresh is one write transaction; a non-rotating one
/// writes only when the idle expiry moves by more than <see cref="IdleExtensionStep"/>. Rotation is per client (SPA on by default,
/// others off, settable per client). A rotated token used again revokes the whole grant, except that the
/// immediate predecessor of the live token is refused without revocation for a few seconds: the loser of
/// a parallel refresh, or a retry after a lost response, must not log the user out.
/// </summary>
internal sealed partial class RefreshExchange(
    LanyardDbContext db, GrantSubject subjects, TokenIssuer issuer, ServerSettings settings, TimeProvider time, ILogger<RefreshExchange> logger)
{
    private static readonly TokenError Invalid = TokenError.InvalidGrant("The refresh token is invalid or has expired.");

    /// <summary>
    /// A non-rotating token's idle expiry is pushed forward at most this often. Without it every refresh is a
    /// write, which on SQLite's single writer caps refreshes near 650 per second; the cost is that a token
    /// may expire up to this much earlier than "idle lifetime after the last use".
    /// </summary>
    internal static readonly TimeSpan IdleExtensionStep = TimeSpan.FromMinutes(1);

    public async Task<TokenOutcome> ExchangeAsync(Application application, OAuthClient client, IFormCollection form, CancellationToken cancellationToken)
    {
        if (!client.GrantTypes.Contains(GrantTypes.RefreshToken))
        {
            return TokenError.UnauthorizedClient("The client may not use refresh tokens.");
        }

        string presented = form["refresh_token"].ToString();
        if (string.IsNullOrEmpty(presented) || presented.Length > 100)
        {
            return TokenError.InvalidRequest("The refresh_token parameter is missing.");
        }

        var hash = OpaqueToken.Hash(presented);
        // The token and its grant in one round trip.
        var found = await db.RefreshTokens.AsNoTracking().Where(t => t.TokenHash == hash)
            .Join(db.Grants.AsNoTracking(), t => t.GrantId, g => g.Id, (t, g) => new { Token = t, Grant = g })
            .FirstOrDefaultAsync(cancellationToken);
        if (found is null || !string.Equals(found.Token.ClientId, client.Id, StringComparison.Ordinal))
        {
            return Invalid;
        }

        var (token, grant) = (found.Token, found.Grant);
        var now = time.GetUtcNow();
        if (grant.RevokedAt is not null || grant.AbsoluteExpiresAt <= now)
        {
            return Invalid;
        }

        if (token.RotatedAt is { } rotatedAt)
        {
            return await RefuseReuseAsync(token, rotatedAt, now, cancellationToken);
        }

        if (token.ExpiresAt <= now)
        {
            return Invalid;
        }

        var scope = token.Scope;
        if (form["scope"] is { Count: > 0 } requested)
        {
            // RFC 6749 §6: a refresh may narrow the scope, never widen it.
            var granted = Scopes.Parse(token.Scope);
            var asked = Scopes.Parse(requested);
            if (!asked.IsSubsetOf(granted))
            {
                return TokenError.InvalidScope("The requested scope exceeds the scope originally granted.");
            }

            scope = Scopes.Normalize(requested);
        }

        var user = await subjects.LoadActiveAsync(grant, cancellationToken);
        if (user is null)
        {
            return TokenError.InvalidGrant("The user can no longer sign in.");
        }

        var expiresAt = CodeExchange.Min(now + settings.Protocol.RefreshTokenIdleLifetime, grant.AbsoluteExpiresAt);
        string returned;
        if (client.RefreshTokenRotation ?? client.Type == OAuthClientType.Spa)
        {
            var successorId = LanyardId.New(time);
            returned = OpaqueToken.New();
            // The claim and the successor are one SaveChanges: one transaction and, on PostgreSQL, one round trip for
            // both statements. RotatedAt is a concurrency token, so the UPDATE matches only a still-unrotated token.
            db.RefreshTokens.Attach(token);
            token.RotatedAt = now;
            token.ReplacedById = successorId;
            db.RefreshTokens.Add(new RefreshToken
            {
                Id = successorId,
                TokenHash = OpaqueToken.Hash(returned),
                GrantId = grant.Id,
                ClientId = client.Id,
                Scope = token.Scope,
                CreatedAt = now,
                ExpiresAt = expiresAt,
            });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateConcurrencyException)
            {
                // Lost a parallel refresh of the same token (nothing was written): the winner holds the live successor.
                db.ChangeTracker.Clear();
                return Invalid;
            }
        }
        else
        {
            // Wristband's SDKs store whatever refresh_token comes back, so a non-rotating client gets its own token again.
            if (expiresAt - token.ExpiresAt > IdleExtensionStep)
            {
                await db.RefreshTokens.Where(t => t.Id == token.Id)
                    .ExecuteUpdateAsync(u => u.SetProperty(t => t.ExpiresAt, expiresAt), cancellationToken);
            }

            returned = presented;
        }

        var nonceFree = (string?)null; // OIDC Core §12.2: no nonce in ID tokens issued on refresh
        return await issuer.ForUserAsync(application, client, user, grant, scope, nonceFree, returned, cancellationToken);
    }

    private async Task<TokenOutcome> RefuseReuseAsync(RefreshToken token, DateTimeOffset rotatedAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Forgiven only within the leeway, and only when this token's successor is still the live token:
        // the loser of a parallel refresh, or a retry after a lost response. Anything older is theft.
        var withinLeeway = now - rotatedAt <= settings.Protocol.RefreshTokenReuseLeeway;
        var isImmediatePredecessor = withinLeeway && token.ReplacedById is { } successor && await db.RefreshTokens
            .AnyAsync(t => t.Id == successor && t.RotatedAt == null, cancellationToken);
        if (!isImmediatePredecessor)
        {
            await subjects.RevokeAsync(token.GrantId, "refresh_token_reuse", cancellationToken);
            RefreshTokenReused(logger, token.ClientId, token.GrantId);
        }

        return Invalid;
    }

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Rotated refresh token reused by client {ClientId}: grant {GrantId} revoked")]
    private static partial void RefreshTokenReused(ILogger logger, string clientId, string grantId);
}

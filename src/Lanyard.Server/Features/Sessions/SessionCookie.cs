using Lanyard.Server.Common;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Sessions;

/// <summary>
/// Creates, reads and ends auth sessions on the current tenant host. The cookie is
/// <c>__Host-lanyard_session</c>: Secure, HttpOnly, host-only (no Domain, Path=/), so one tenant's
/// cookie is never sent to another tenant's host, and SameSite=Lax so the top-level GET to authorize
/// that an application starts still carries it. The idle and absolute lifetimes are the auth session policy's
/// in force for the tenant (the server settings are its defaults), read on every use: shortening them ends
/// sessions that are already open, at their next use.
/// </summary>
internal sealed class SessionCookie(LanyardDbContext db, ServerSettings settings, PolicyResolver policies, TimeProvider time)
{
    public const string Name = "__Host-lanyard_session";

    /// <summary>Idle sessions are extended at most once per this interval, so reading a session rarely writes.</summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    public async Task<AuthSession?> ReadAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!http.Request.Cookies.TryGetValue(Name, out var handle) || string.IsNullOrEmpty(handle) || handle.Length > 100)
        {
            return null;
        }

        var hash = OpaqueToken.Hash(handle);
        var session = await db.AuthSessions.AsTracking().FirstOrDefaultAsync(s => s.HandleHash == hash, cancellationToken);
        var now = time.GetUtcNow();
        if (session is null || session.RevokedAt is not null || session.AbsoluteExpiresAt <= now)
        {
            return null;
        }

        var policy = await LifetimesAsync(cancellationToken);
        if (session.AuthTime + policy.AbsoluteTimeout(settings.Protocol) <= now || session.LastSeenAt + policy.IdleTimeout(settings.Protocol) <= now)
        {
            return null;
        }

        if (now - session.LastSeenAt >= TouchInterval)
        {
            session.LastSeenAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        return session;
    }

    /// <summary>
    /// Starts a new session for a user who has just authenticated. Always a new handle, whatever cookie
    /// the browser brought: a planted pre-login cookie can never become a logged-in session.
    /// </summary>
    public async Task<AuthSession> StartAsync(HttpContext http, string userId, IReadOnlyList<string> amr, CancellationToken cancellationToken)
    {
        await RevokeCurrentAsync(http, cancellationToken);
        var absolute = (await LifetimesAsync(cancellationToken)).AbsoluteTimeout(settings.Protocol);
        var now = time.GetUtcNow();
        var handle = OpaqueToken.New();
        var session = new AuthSession
        {
            Id = LanyardId.New(time),
            UserId = userId,
            HandleHash = OpaqueToken.Hash(handle),
            AuthTime = now,
            Amr = [.. amr],
            CreatedAt = now,
            LastSeenAt = now,
            AbsoluteExpiresAt = now + absolute,
        };
        db.AuthSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        AppendCookie(http, handle);
        return session;
    }

    /// <summary>
    /// Records factors proven during the session (MFA adds <c>otp</c> and <c>mfa</c>) on a new session with a
    /// new handle: the session's original login time and expiry stay, the old handle stops working. A
    /// handle seen before the step up — a planted or leaked pre-MFA cookie — never carries the stronger session.
    /// </summary>
    public async Task<AuthSession> AddAmrAsync(HttpContext http, AuthSession session, IReadOnlyList<string> amr, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var handle = OpaqueToken.New();
        var elevated = new AuthSession
        {
            Id = LanyardId.New(time),
            UserId = session.UserId,
            HandleHash = OpaqueToken.Hash(handle),
            AuthTime = session.AuthTime,
            Amr = [.. session.Amr.Union(amr, StringComparer.Ordinal)],
            CreatedAt = now,
            LastSeenAt = now,
            AbsoluteExpiresAt = session.AbsoluteExpiresAt,
        };
        session.RevokedAt = now;
        db.AuthSessions.Add(elevated);
        await db.SaveChangesAsync(cancellationToken);
        AppendCookie(http, handle);
        return elevated;
    }

    /// <summary>Ends the browser's session on this host, server-side first, then the cookie.</summary>
    public async Task EndAsync(HttpContext http, CancellationToken cancellationToken)
    {
        await RevokeCurrentAsync(http, cancellationToken);
        http.Response.Cookies.Delete(Name, new CookieOptions { Secure = true, HttpOnly = true, SameSite = SameSiteMode.Lax, Path = "/" });
    }

    private async Task RevokeCurrentAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (http.Request.Cookies.TryGetValue(Name, out var handle) && !string.IsNullOrEmpty(handle) && handle.Length <= 100)
        {
            var hash = OpaqueToken.Hash(handle);
            var now = time.GetUtcNow();
            await db.AuthSessions.Where(s => s.HandleHash == hash && s.RevokedAt == null)
                .ExecuteUpdateAsync(u => u.SetProperty(s => s.RevokedAt, now), cancellationToken);
        }
    }

    private Task<AuthSessionPolicy> LifetimesAsync(CancellationToken cancellationToken) =>
        policies.GetAsync<AuthSessionPolicy>(PolicyKind.AuthSession, cancellationToken: cancellationToken);

    private static void AppendCookie(HttpContext http, string handle) =>
        http.Response.Cookies.Append(Name, handle, new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            IsEssential = true,
        });
}

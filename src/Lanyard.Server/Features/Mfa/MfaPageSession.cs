using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.Mfa;

/// <summary>
/// What both hosted MFA pages start from: the signed-in session on this tenant host and its active user.
/// Without one the browser goes to the login page, which comes back through authorize and so through the gate.
/// </summary>
internal sealed record MfaPageSession(AuthSession Session, User User)
{
    public bool PassedMfa => Session.Amr.Contains(MfaGate.MfaAmr);

    public static async Task<MfaPageSession?> ReadAsync(HttpContext http, SessionCookie sessions, LanyardDbContext db, CancellationToken cancellationToken)
    {
        var session = await sessions.ReadAsync(http, cancellationToken);
        if (session is null)
        {
            return null;
        }

        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == session.UserId && u.Status == UserStatus.Active, cancellationToken);
        return user is null ? null : new MfaPageSession(session, user);
    }

    /// <summary>The return URL if it is this host's authorize endpoint, else null (the pages are never open redirectors).</summary>
    public static string? Safe(string? returnUrl) => ReturnUrls.IsAuthorizeUrl(returnUrl) ? returnUrl : null;

    public static string LoginPath(string? returnUrl) => Authorize.RedirectUris.AppendQuery("/login", [new("return_url", Safe(returnUrl))]);

    public static string PagePath(string path, string? returnUrl) => Authorize.RedirectUris.AppendQuery(path, [new("return_url", Safe(returnUrl))]);
}

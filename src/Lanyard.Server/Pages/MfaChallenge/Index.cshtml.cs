using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.MfaChallenge;

internal enum ChallengePageState
{
    Form,
    RecoveryCodeUsed,
    SignedIn,
}

/// <summary>
/// <c>/mfa/challenge</c>: the second step of a login for a user with an authenticator. A code from the app
/// (or, below it, the one recovery code) completes the session's MFA; the attempts count against the
/// user's own MFA limit, and a locked user gets 429 without the code being checked.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(LanyardDbContext db, SessionCookie sessions, MfaService mfa, MfaGate gate) : PageModel
{
    public const string LockedMessage = "Too many attempts. Wait 15 minutes and try again.";

    [BindProperty]
    public ChallengeInput Input { get; set; } = new();

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? LogoUrl => HttpContext.RequiredTenant().LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal) ? url : null;

    public ChallengePageState State { get; private set; } = ChallengePageState.Form;

    public string? ErrorMessage { get; private set; }

    public string? ContinueUrl => MfaPageSession.Safe(Input.ReturnUrl);

    public string EnrollUrl => MfaPageSession.PagePath("/mfa/enroll", Input.ReturnUrl);

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "return_url")] string? returnUrl, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        Input = new ChallengeInput { ReturnUrl = MfaPageSession.Safe(returnUrl) };
        var (current, elsewhere) = await AdmitAsync(cancellationToken);
        return current is null ? elsewhere! : Page();
    }

    public Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) => VerifyAsync(recovery: false, cancellationToken);

    public Task<IActionResult> OnPostRecoveryAsync(CancellationToken cancellationToken) => VerifyAsync(recovery: true, cancellationToken);

    private async Task<IActionResult> VerifyAsync(bool recovery, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        Input.ReturnUrl = MfaPageSession.Safe(Input.ReturnUrl);
        var code = Input.Code;
        var recoveryCode = Input.RecoveryCode;
        Input.Code = null;
        Input.RecoveryCode = null;
        var (current, elsewhere) = await AdmitAsync(cancellationToken);
        if (current is null)
        {
            return elsewhere!;
        }

        var outcome = await mfa.VerifyChallengeAsync(
            HttpContext.RequiredApplication(), HttpContext.RequiredTenant(), current.User, recovery ? null : code, recovery ? recoveryCode ?? "" : null, cancellationToken);
        switch (outcome)
        {
            case ChallengeOutcome.Locked:
                ErrorMessage = LockedMessage;
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                return Page();
            case ChallengeOutcome.Invalid:
                ErrorMessage = recovery ? "That recovery code is not valid." : "That code is not correct. Enter the current code from your authenticator app.";
                return Page();
            case ChallengeOutcome.VerifiedRecoveryCode:
                await sessions.AddAmrAsync(HttpContext, current.Session, [MfaGate.MfaAmr], cancellationToken);
                State = ChallengePageState.RecoveryCodeUsed;
                return Page();
            default:
                await sessions.AddAmrAsync(HttpContext, current.Session, ["otp", MfaGate.MfaAmr], cancellationToken);
                return Continue();
        }
    }

    private IActionResult Continue()
    {
        if (ContinueUrl is { } url)
        {
            Response.Headers.Location = url;
            return StatusCode(StatusCodes.Status303SeeOther);
        }

        State = ChallengePageState.SignedIn;
        return Page();
    }

    /// <summary>The session and user when a challenge is due; otherwise where the browser goes instead.</summary>
    private async Task<(MfaPageSession? Current, IActionResult? Elsewhere)> AdmitAsync(CancellationToken cancellationToken)
    {
        var current = await MfaPageSession.ReadAsync(HttpContext, sessions, db, cancellationToken);
        if (current is null)
        {
            return (null, Redirect(MfaPageSession.LoginPath(Input.ReturnUrl)));
        }

        return await gate.RequiredStepAsync(current.User, current.Session, cancellationToken) switch
        {
            MfaStep.Challenge => (current, null),
            MfaStep.Enrollment => (null, Redirect(EnrollUrl)),
            _ => (null, Continue()),
        };
    }

    public sealed class ChallengeInput
    {
        public string? Code { get; set; }

        public string? RecoveryCode { get; set; }

        public string? ReturnUrl { get; set; }
    }
}

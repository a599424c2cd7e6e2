using Lanyard.Server.Features.Mfa;
using Lanyard.Server.Features.Sessions;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.MfaEnroll;

internal enum EnrollPageState
{
    Form,
    RecoveryCode,
    SignedIn,
    NotAvailable,
}

/// <summary>
/// <c>/mfa/enroll</c>: sets up an authenticator app. Open to a session whose user has no authenticator yet
/// (first enrollment, e.g. required by policy) or to a session that has already passed MFA
/// (re-enrollment); anyone else — someone holding only the password — is sent to the challenge instead,
/// so a password alone can never replace the victim's authenticator.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(LanyardDbContext db, SessionCookie sessions, MfaService mfa) : PageModel
{
    [BindProperty]
    public EnrollInput Input { get; set; } = new();

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? LogoUrl => HttpContext.RequiredTenant().LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal) ? url : null;

    public EnrollPageState State { get; private set; } = EnrollPageState.Form;

    public TotpEnrollment? Enrollment { get; private set; }

    public string? RecoveryCode { get; private set; }

    public string? ErrorMessage { get; private set; }

    public string? ContinueUrl => MfaPageSession.Safe(Input.ReturnUrl);

    public async Task<IActionResult> OnGetAsync([FromQuery(Name = "return_url")] string? returnUrl, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        Input = new EnrollInput { ReturnUrl = MfaPageSession.Safe(returnUrl) };
        var (current, refusal) = await AdmitAsync(cancellationToken);
        if (current is null)
        {
            return refusal!;
        }

        Enrollment = await mfa.BeginTotpEnrollmentAsync(HttpContext.RequiredApplication(), current.User, cancellationToken);
        Input.FactorId = Enrollment.FactorId;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        Input.ReturnUrl = MfaPageSession.Safe(Input.ReturnUrl);
        var code = Input.Code;
        Input.Code = null;
        var (current, refusal) = await AdmitAsync(cancellationToken);
        if (current is null)
        {
            return refusal!;
        }

        var application = HttpContext.RequiredApplication();
        var verified = await mfa.VerifyTotpEnrollmentAsync(current.User, Input.FactorId, code, cancellationToken);
        if (verified is null)
        {
            // The pending factor stays: the same secret is shown again, so a mistyped code does not mean rescanning.
            Enrollment = await mfa.PendingEnrollmentAsync(application, current.User, Input.FactorId, cancellationToken)
                ?? await mfa.BeginTotpEnrollmentAsync(application, current.User, cancellationToken);
            Input.FactorId = Enrollment.FactorId;
            ErrorMessage = "That code is not correct. Check the time on your device and enter the current code.";
            return Page();
        }

        await sessions.AddAmrAsync(HttpContext, current.Session, ["otp", MfaGate.MfaAmr], cancellationToken);
        if (verified.RecoveryCode is not null)
        {
            RecoveryCode = verified.RecoveryCode;
            State = EnrollPageState.RecoveryCode;
            return Page();
        }

        return Continue();
    }

    private IActionResult Continue()
    {
        if (ContinueUrl is { } url)
        {
            // 303: the browser follows with a GET and never re-posts the code.
            Response.Headers.Location = url;
            return StatusCode(StatusCodes.Status303SeeOther);
        }

        State = EnrollPageState.SignedIn;
        return Page();
    }

    private async Task<(MfaPageSession? Current, IActionResult? Refusal)> AdmitAsync(CancellationToken cancellationToken)
    {
        var current = await MfaPageSession.ReadAsync(HttpContext, sessions, db, cancellationToken);
        if (current is null)
        {
            return (null, Redirect(MfaPageSession.LoginPath(Input.ReturnUrl)));
        }

        if (await mfa.AvailabilityAsync(current.User, cancellationToken) != MfaAvailability.Available)
        {
            State = EnrollPageState.NotAvailable;
            Response.StatusCode = StatusCodes.Status404NotFound;
            return (null, Page());
        }

        if (!current.PassedMfa && await mfa.HasActiveTotpAsync(current.User.Id, cancellationToken))
        {
            return (null, Redirect(MfaPageSession.PagePath("/mfa/challenge", Input.ReturnUrl)));
        }

        return (current, null);
    }

    public sealed class EnrollInput
    {
        public string? Code { get; set; }

        public string? FactorId { get; set; }

        public string? ReturnUrl { get; set; }
    }
}

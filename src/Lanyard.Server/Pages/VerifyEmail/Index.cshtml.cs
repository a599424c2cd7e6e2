using Lanyard.Server.Features.Signup;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.VerifyEmail;

/// <summary>
/// The email-verification email's hosted page on the tenant host. The user is already active (and
/// usually signed in), so a good code only marks the email verified and offers the way back to the application.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(ActivationService activation) : PageModel
{
    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? ContinueUrl { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery] string? code, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        Response.Headers["Referrer-Policy"] = "no-referrer";
        var outcome = await activation.VerifyEmailAsync(new WorkflowAsker(HttpContext.RequiredApplication(), HttpContext.RequiredTenant(), null), code, cancellationToken);
        if (outcome is VerificationOutcome.Verified verified)
        {
            ContinueUrl = verified.ContinueUrl;
            return Page();
        }

        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }
}

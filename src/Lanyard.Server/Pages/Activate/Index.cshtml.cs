using Lanyard.Server.Features.Signup;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.Activate;

/// <summary>
/// The activation email's hosted page on the tenant host. A good code activates the user and hands the
/// browser to a new auth session (no password asked again); any bad code gets one finished-looking page
/// that explains how to get a new link, with a form that asks for one without saying whether it was sent.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(ActivationService activation) : PageModel
{
    public const string ResentMessage = "If an account with that address is waiting for activation, we have sent it a new link.";

    [BindProperty]
    public string? Email { get; set; }

    /// <summary>The used or expired code, so a new email keeps the client and state of the original signup.</summary>
    [BindProperty]
    public string? Code { get; set; }

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? Message { get; private set; }

    public bool Resent { get; private set; }

    public async Task<IActionResult> OnGetAsync([FromQuery] string? code, CancellationToken cancellationToken)
    {
        NoLeaks();
        var outcome = await activation.ActivateAsync(Asker(), code, cancellationToken);
        if (outcome is ActivationOutcome.Activated activated)
        {
            return Redirect(activated.RedirectUrl);
        }

        Code = code is { Length: <= 100 } ? code : null;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        NoLeaks();
        var tenant = HttpContext.RequiredTenant();
        var result = await activation.RequestActivationByEmailAsync(
            Asker(), tenant.Id, Email, HttpContext.Connection.RemoteIpAddress?.ToString(), Code, cancellationToken);
        if (result == SendResult.Throttled)
        {
            Message = "Too many requests. Wait a while and try again.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        Resent = true;
        Code = null;
        return Page();
    }

    private WorkflowAsker Asker() => new(HttpContext.RequiredApplication(), HttpContext.RequiredTenant(), null);

    /// <summary>The code is in the URL: keep it out of caches and out of the Referer of anything the page links to.</summary>
    private void NoLeaks()
    {
        Response.Headers.CacheControl = "no-store";
        Response.Headers["Referrer-Policy"] = "no-referrer";
    }
}

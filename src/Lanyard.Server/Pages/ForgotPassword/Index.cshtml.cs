using System.ComponentModel.DataAnnotations;
using Lanyard.Server.Features.Login;
using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.WebUtilities;

namespace Lanyard.Server.Pages.ForgotPassword;

/// <summary>
/// "Forgot your password?" on the tenant host. Whatever is typed — a known account, an unknown one, an
/// inactive one — the answer is the same page with the same status: only the mailbox learns whether an
/// account exists. Requests are limited per client address (429 beyond) and emails per account (dropped).
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(PasswordResets resets) : PageModel
{
    [BindProperty]
    public ForgotInput Input { get; set; } = new();

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? LogoUrl => HttpContext.RequiredTenant().LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal) ? url : null;

    public string? ErrorMessage { get; private set; }

    public bool Sent { get; private set; }

    /// <summary>Back to the login page, continuing the authorization request the user came from.</summary>
    public string LoginUrl => ReturnUrls.IsAuthorizeUrl(Input.ReturnUrl)
        ? QueryHelpers.AddQueryString("/login", "return_url", Input.ReturnUrl!)
        : "/login";

    public void OnGet([FromQuery(Name = "return_url")] string? returnUrl, [FromQuery(Name = "login_hint")] string? loginHint)
    {
        Input = new ForgotInput
        {
            ReturnUrl = ReturnUrls.IsAuthorizeUrl(returnUrl) ? returnUrl : null,
            Identifier = loginHint is { Length: <= PasswordResets.MaxIdentifierLength } ? loginHint.Trim() : null,
        };
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var application = HttpContext.RequiredApplication();
        var tenant = HttpContext.RequiredTenant();
        if (!ReturnUrls.IsAuthorizeUrl(Input.ReturnUrl))
        {
            Input.ReturnUrl = null;
        }

        var identifier = Input.Identifier?.Trim() ?? "";
        if (identifier.Length is 0 or > PasswordResets.MaxIdentifierLength)
        {
            ErrorMessage = "Enter the email address or username of your account.";
            return Page();
        }

        var address = HttpContext.Connection.RemoteIpAddress?.ToString();
        if (await resets.IsRequesterOverLimitAsync("pwreset-addr", address, PasswordResets.RequestsPerAddress, application.Id, cancellationToken))
        {
            ErrorMessage = "Too many requests from your network. Wait a few minutes and try again.";
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return Page();
        }

        await resets.RequestAsync(application, tenant, identifier, PasswordResets.ContextFromReturnUrl(Input.ReturnUrl), cancellationToken);
        Sent = true;
        return Page();
    }

    public sealed class ForgotInput
    {
        [Display(Name = "Email or username")]
        public string? Identifier { get; set; }

        public string? ReturnUrl { get; set; }
    }
}

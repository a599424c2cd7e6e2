using Lanyard.Server.Features.Invitations;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.AcceptExistingInvite;

/// <summary>
/// The hosted page of an existing-user invitation's link: activates a PROVISIONED or INACTIVE account,
/// asking for a password only when the account has none, and signs the user in.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(InvitationAcceptance acceptance) : PageModel
{
    [BindProperty]
    public AcceptForm Input { get; set; } = new();

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? LogoUrl => HttpContext.RequiredTenant().LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal) ? url : null;

    public bool Unavailable { get; private set; }

    public string Email { get; private set; } = "";

    /// <summary>The account has no password yet: the form asks for one.</summary>
    public bool AsksPassword { get; private set; }

    public bool PasswordRequired { get; private set; }

    public IReadOnlyDictionary<string, List<string>> Errors { get; private set; } = new Dictionary<string, List<string>>();

    public async Task<IActionResult> OnGetAsync([FromQuery] string? code, CancellationToken cancellationToken)
    {
        var pending = await acceptance.PeekAsync(HttpContext.RequiredApplication(), InvitationKind.ExistingUser, code, InvitationAcceptance.AnyTenant, cancellationToken);
        if (pending is null)
        {
            return Invalid();
        }

        Show(pending);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromQuery] string? code, CancellationToken cancellationToken)
    {
        var password = string.IsNullOrEmpty(Input.Password) ? null : Input.Password;
        var mismatch = !string.Equals(Input.Password ?? "", Input.PasswordConfirmation ?? "", StringComparison.Ordinal);
        Input = new AcceptForm();
        return await AcceptPage.SubmitAsync(
            this, acceptance, InvitationKind.ExistingUser, code, new AcceptInput(Password: password), mismatch, Show, Invalid, cancellationToken);
    }

    private void Show(PendingInvitation pending, IReadOnlyDictionary<string, List<string>>? errors = null)
    {
        Email = pending.User.Email;
        AsksPassword = !pending.User.HasPassword;
        PasswordRequired = pending.PasswordNeeded;
        Errors = errors ?? Errors;
    }

    private PageResult Invalid()
    {
        Unavailable = true;
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    public sealed class AcceptForm
    {
        public string? Password { get; set; }
        public string? PasswordConfirmation { get; set; }
    }
}

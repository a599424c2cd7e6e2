using Lanyard.Server.Features.Invitations;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.AcceptInvite;

/// <summary>
/// The hosted page of a new-user invitation's link: the invitee completes the profile the user schema asks
/// for and chooses a password, and is signed in. The code in the URL is only looked at on GET and used up
/// on a successful POST; every kind of bad code gets the same finished page.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(InvitationAcceptance acceptance) : PageModel
{
    public const string InvalidMessage = "This invitation has expired or was cancelled. Ask your administrator for a new one.";

    [BindProperty]
    public AcceptForm Input { get; set; } = new();

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? LogoUrl => HttpContext.RequiredTenant().LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal) ? url : null;

    public bool Unavailable { get; private set; }

    public string Email { get; private set; } = "";

    public IReadOnlyList<string> RequiredFields { get; private set; } = [];

    public IReadOnlyDictionary<string, List<string>> Errors { get; private set; } = new Dictionary<string, List<string>>();

    public bool Shows(string field) => RequiredFields.Contains(field);

    public async Task<IActionResult> OnGetAsync([FromQuery] string? code, CancellationToken cancellationToken)
    {
        var pending = await acceptance.PeekAsync(HttpContext.RequiredApplication(), InvitationKind.NewUser, code, InvitationAcceptance.AnyTenant, cancellationToken);
        if (pending is null)
        {
            return Invalid();
        }

        Show(pending);
        Input.FullName ??= pending.Invitation.InviteeName;
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromQuery] string? code, CancellationToken cancellationToken)
    {
        var input = Input.ToInput();
        var confirmationMismatch = !string.Equals(Input.Password ?? "", Input.PasswordConfirmation ?? "", StringComparison.Ordinal);
        Input.Password = null;
        Input.PasswordConfirmation = null;
        return await AcceptPage.SubmitAsync(this, acceptance, InvitationKind.NewUser, code, input, confirmationMismatch, Show, Invalid, cancellationToken);
    }

    private void Show(PendingInvitation pending, IReadOnlyDictionary<string, List<string>>? errors = null)
    {
        Email = pending.User.Email;
        RequiredFields = pending.RequiredFields;
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
        public string? GivenName { get; set; }
        public string? FamilyName { get; set; }
        public string? FullName { get; set; }
        public string? PhoneNumber { get; set; }
        public string? Birthdate { get; set; }
        public string? Username { get; set; }
        public string? Password { get; set; }
        public string? PasswordConfirmation { get; set; }

        public AcceptInput ToInput() => new(Password, Username, GivenName, FamilyName, FullName, PhoneNumber, Birthdate);
    }
}

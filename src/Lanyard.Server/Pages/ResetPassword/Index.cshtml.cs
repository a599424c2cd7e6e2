using System.ComponentModel.DataAnnotations;
using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.ResetPassword;

internal enum ResetPageState
{
    Form,
    InvalidLink,
    Changed,
}

/// <summary>
/// The page a password-reset email links to. GET only looks at the code; POST checks it again, checks the
/// password policy, and only then uses the code and sets the password (see <see cref="PasswordResets.CompleteAsync"/>),
/// so a typo in the new password never costs the user the link. A code of another tenant, another purpose,
/// an expired, used or superseded code, or a user who is no longer active: the same 400 page.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(PasswordResets resets, PolicyResolver policies) : PageModel
{
    [BindProperty]
    public ResetInput Input { get; set; } = new();

    public string Brand => HttpContext.RequiredTenant().DisplayName;

    public string? LogoUrl => HttpContext.RequiredTenant().LogoUrl is { } url && url.StartsWith("https://", StringComparison.Ordinal) ? url : null;

    public ResetPageState State { get; private set; }

    /// <summary>Whose password is being set, so someone who forwarded a link does not set a stranger's password blind.</summary>
    public string? AccountName { get; private set; }

    public IReadOnlyList<string> Hints { get; private set; } = [];

    public int MinimumLength { get; private set; } = 8;

    public List<string> Errors { get; } = [];

    public async Task<IActionResult> OnGetAsync([FromQuery] string? code, CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        var resolved = await resets.ResolveAsync(await resets.PeekAsync(code, cancellationToken), HttpContext.RequiredTenant(), cancellationToken);
        if (resolved is null)
        {
            return InvalidLink();
        }

        Input = new ResetInput { Code = code };
        await ShowFormAsync(resolved, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Response.Headers.CacheControl = "no-store";
        var application = HttpContext.RequiredApplication();
        var tenant = HttpContext.RequiredTenant();
        var password = Input.NewPassword ?? "";
        var confirmation = Input.ConfirmPassword ?? "";
        Input.NewPassword = null;
        Input.ConfirmPassword = null;

        var resolved = await resets.ResolveAsync(await resets.PeekAsync(Input.Code, cancellationToken), tenant, cancellationToken);
        if (resolved is null)
        {
            return InvalidLink();
        }

        var policy = await policies.PasswordAsync(cancellationToken);
        if (password.Length == 0)
        {
            Errors.Add("Enter a new password.");
        }
        else
        {
            Errors.AddRange(policy.Check(password).Select(v => PasswordRules.Describe(v, policy)));
            if (!string.Equals(password, confirmation, StringComparison.Ordinal))
            {
                Errors.Add("The two passwords do not match.");
            }
        }

        if (Errors.Count > 0)
        {
            await ShowFormAsync(resolved, cancellationToken);
            return Page();
        }

        var completion = await resets.CompleteAsync(application, tenant, Input.Code!, password, cancellationToken);
        if (completion is null)
        {
            return InvalidLink();
        }

        if (completion.RedirectUrl is { } url)
        {
            // 303: the browser follows with a GET to the tenant host's create-auth-session, never re-posting the password.
            Response.Headers.Location = url;
            return StatusCode(StatusCodes.Status303SeeOther);
        }

        State = ResetPageState.Changed;
        return Page();
    }

    private async Task ShowFormAsync(ResettableCode resolved, CancellationToken cancellationToken)
    {
        var policy = await policies.PasswordAsync(cancellationToken);
        Hints = PasswordRules.Hints(policy);
        MinimumLength = PasswordRules.MinimumLength(policy);
        AccountName = resolved.User.Email;
        State = ResetPageState.Form;
    }

    private PageResult InvalidLink()
    {
        State = ResetPageState.InvalidLink;
        Input = new ResetInput();
        Response.StatusCode = StatusCodes.Status400BadRequest;
        return Page();
    }

    public sealed class ResetInput
    {
        public string? Code { get; set; }

        [DataType(DataType.Password)]
        [Display(Name = "New password")]
        public string? NewPassword { get; set; }

        [DataType(DataType.Password)]
        [Display(Name = "Confirm new password")]
        public string? ConfirmPassword { get; set; }
    }
}

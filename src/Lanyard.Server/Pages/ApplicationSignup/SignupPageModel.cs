using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Signup;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Features.Workflows;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Lanyard.Server.Pages.ApplicationSignup;

/// <summary>
/// What the application-level and tenant-level signup pages share: the form, its server-side validation
/// through <see cref="SignupService"/> (never an HTTP call to the API), and rendering the outcome. The
/// password is never sent back to the browser; every other value is kept when the form is shown again.
/// </summary>
internal abstract class SignupPageModel(SignupService signup, PolicyResolver policies) : PageModel
{
    [BindProperty]
    public SignupForm Input { get; set; } = new();

    public UserSchemaPolicy Schema { get; private set; } = new();

    public ConstraintViolations Violations { get; private set; } = new();

    public string? ErrorMessage { get; private set; }

    public bool CheckEmail { get; private set; }

    public abstract bool ApplicationLevel { get; }

    public abstract string Brand { get; }

    /// <summary>The login action link at the bottom of the form.</summary>
    public abstract string LoginUrl { get; }

    protected Application Application => HttpContext.RequiredApplication();

    /// <summary>Null on the application level.</summary>
    protected abstract Tenant? SignupTenant { get; }

    protected abstract bool Open { get; }

    public IEnumerable<string> FieldErrors(string field) =>
        Violations.ByField.TryGetValue(field, out var list) ? list.Select(v => SignupMessages.Describe(field, v)) : [];

    protected async Task<IActionResult> GetAsync(string? clientId, string? state, CancellationToken cancellationToken)
    {
        if (!Open)
        {
            return NotFound();
        }

        Input = new SignupForm
        {
            ClientId = clientId is { Length: <= 100 } ? clientId : null,
            State = state is { Length: <= SignupRules.MaxStateLength } ? state : null,
        };
        Schema = await policies.UserSchemaAsync(cancellationToken);
        return Page();
    }

    protected async Task<IActionResult> PostAsync(CancellationToken cancellationToken)
    {
        if (!Open)
        {
            return NotFound();
        }

        Schema = await policies.UserSchemaAsync(cancellationToken);
        var input = Input.ToInput(ApplicationLevel);
        Input.Password = null;
        var outcome = await signup.SignupAsync(Application, SignupTenant, input, HttpContext.Connection.RemoteIpAddress?.ToString(), cancellationToken);
        switch (outcome)
        {
            case SignupOutcome.Disabled:
                return NotFound();
            case SignupOutcome.Throttled:
                ErrorMessage = "Too many sign-up attempts. Wait a while and try again.";
                Response.StatusCode = StatusCodes.Status429TooManyRequests;
                return Page();
            case SignupOutcome.Invalid invalid:
                Violations = invalid.Violations;
                ErrorMessage = "Please correct the fields below.";
                return Page();
            case SignupOutcome.ActivationRequired:
                CheckEmail = true;
                return Page();
            case SignupOutcome.EmailTaken taken:
                // The same page as a new signup, so the form never tells whether an address has an account.
                await NotifyExistingAccountAsync(taken, cancellationToken);
                CheckEmail = true;
                return Page();
            case SignupOutcome.LoggedIn loggedIn:
                // 303: the browser follows with a GET to the tenant host, where the auth session is created.
                Response.Headers.Location = loggedIn.RedirectUrl;
                return StatusCode(StatusCodes.Status303SeeOther);
            default:
                throw new InvalidOperationException("Unknown signup outcome.");
        }
    }

    /// <summary>Tells the owner of an existing account that someone signed up with its address (tenant level only).</summary>
    protected virtual Task NotifyExistingAccountAsync(SignupOutcome.EmailTaken taken, CancellationToken cancellationToken) => Task.CompletedTask;

    protected string ApplicationLoginUrl() =>
        Features.Authorize.RedirectUris.AppendQuery("/login", [new("client_id", Input.ClientId), new("state", Input.State)]);
}

/// <summary>The signup form's fields (names <c>Input.*</c>).</summary>
internal sealed class SignupForm
{
    public string? ClientId { get; set; }
    public string? State { get; set; }
    public string? TenantName { get; set; }
    public string? TenantDisplayName { get; set; }
    public string? Email { get; set; }
    public string? Password { get; set; }
    public string? FullName { get; set; }
    public string? GivenName { get; set; }
    public string? FamilyName { get; set; }
    public string? PhoneNumber { get; set; }
    public string? Birthdate { get; set; }
    public string? Username { get; set; }

    public SignupInput ToInput(bool applicationLevel) => new()
    {
        TenantName = applicationLevel ? TenantName : null,
        TenantDisplayName = applicationLevel ? TenantDisplayName : null,
        Email = Email,
        Password = Password,
        FullName = FullName,
        GivenName = GivenName,
        FamilyName = FamilyName,
        PhoneNumber = PhoneNumber,
        Birthdate = Birthdate,
        Username = Username,
        ClientId = ClientId,
        State = State is { Length: <= SignupRules.MaxStateLength } ? State : null,
    };
}

using Lanyard.Server.Features.PasswordReset;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Signup;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Pages.ApplicationSignup;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;

namespace Lanyard.Server.Pages.TenantSignup;

/// <summary>
/// Tenant-level self-signup on the tenant's host: creates a user in this tenant. Exists only while the
/// tenant's signup is enabled, whatever the application-level setting; the tenant's allowed email domains apply.
/// An address that already has an account gets the same "check your email" answer as a new one, and its
/// owner gets a password-reset email (the way back in if it was them), so the form reveals no account.
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(SignupService signup, PolicyResolver policies, PasswordResets resets) : SignupPageModel(signup, policies)
{
    public override bool ApplicationLevel => false;

    public override string Brand => HttpContext.RequiredTenant().DisplayName;

    public override string LoginUrl => "/login";

    protected override Tenant? SignupTenant => HttpContext.RequiredTenant();

    protected override bool Open => SignupService.TenantSignupOpen(HttpContext.RequiredTenant());

    public Task<IActionResult> OnGetAsync([FromQuery(Name = "client_id")] string? clientId, [FromQuery] string? state, CancellationToken cancellationToken) =>
        GetAsync(clientId, state, cancellationToken);

    public Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) => PostAsync(cancellationToken);

    protected override Task NotifyExistingAccountAsync(SignupOutcome.EmailTaken taken, CancellationToken cancellationToken) =>
        taken.Existing.Status == Features.Users.UserStatus.Active
            ? resets.SendResetEmailAsync(Application, taken.Tenant, taken.Existing, new Features.Workflows.WorkflowContext(ClientId: Input.ClientId is { Length: <= 100 } ? Input.ClientId : null, State: Input.ToInput(applicationLevel: false).State), cancellationToken)
            : Task.CompletedTask;
}

using Lanyard.Server.Features.Authorize;
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
/// </summary>
[HostKind(HostKind.Tenant)]
internal sealed class IndexModel(SignupService signup, PolicyResolver policies) : SignupPageModel(signup, policies)
{
    public override bool ApplicationLevel => false;

    public override string Brand => HttpContext.RequiredTenant().DisplayName;

    public override string LoginUrl => "/login";

    public override string? SignInUrl => RedirectUris.AppendQuery("/login", [new("login_hint", Input.Email?.Trim())]);

    protected override Tenant? SignupTenant => HttpContext.RequiredTenant();

    protected override bool Open => SignupService.TenantSignupOpen(HttpContext.RequiredTenant());

    public Task<IActionResult> OnGetAsync([FromQuery(Name = "client_id")] string? clientId, [FromQuery] string? state, CancellationToken cancellationToken) =>
        GetAsync(clientId, state, cancellationToken);

    public Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) => PostAsync(cancellationToken);
}

using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Policies;
using Lanyard.Server.Features.Signup;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;

namespace Lanyard.Server.Pages.ApplicationSignup;

/// <summary>
/// Application-level signup on the application host: creates a tenant and its first user. Exists only
/// while the application is multi-tenant and its signup is enabled (404 otherwise).
/// </summary>
[HostKind(HostKind.Application)]
internal sealed class IndexModel(SignupService signup, PolicyResolver policies) : SignupPageModel(signup, policies)
{
    public override bool ApplicationLevel => true;

    public override string Brand => Application.DisplayName;

    public override string LoginUrl => ApplicationLoginUrl();

    /// <summary>The suffix a tenant name gets in its host, shown as a hint.</summary>
    public string TenantHostSuffix => Application.TenantHostStyle.Separator() + Application.VanityDomain;

    protected override Tenant? SignupTenant => null;

    protected override bool Open => SignupService.ApplicationSignupOpen(Application);

    public Task<IActionResult> OnGetAsync([FromQuery(Name = "client_id")] string? clientId, [FromQuery] string? state, CancellationToken cancellationToken) =>
        GetAsync(clientId, state, cancellationToken);

    public Task<IActionResult> OnPostAsync(CancellationToken cancellationToken) => PostAsync(cancellationToken);
}

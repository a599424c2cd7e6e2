using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Authorize;
using Lanyard.Server.Features.Clients;
using Lanyard.Server.Features.Email;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tenancy;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Pages.ApplicationLogin;

/// <summary>
/// The application-level login page (tenant discovery), reached when an application cannot tell which
/// tenant a user belongs to. By tenant name, or by email: one tenant → on to its login; several → an
/// email listing them. The user ends at the client's login URL with the tenant and the incoming state.
/// </summary>
[HostKind(HostKind.Application)]
internal sealed partial class IndexModel(LanyardDbContext db, EmailOutbox outbox, ILogger<IndexModel> logger) : PageModel
{
    [BindProperty]
    public DiscoveryInput Input { get; set; } = new();

    public string Brand => HttpContext.RequiredApplication().DisplayName;

    public string? ErrorMessage { get; private set; }

    public bool EmailSent { get; private set; }

    /// <summary>The application-level signup page, carrying the client and state, while that signup is open.</summary>
    public string? SignupUrl => Features.Signup.SignupService.ApplicationSignupOpen(HttpContext.RequiredApplication())
        ? RedirectUris.AppendQuery("/signup", [new("client_id", Input.ClientId), new("state", Input.State)])
        : null;

    public void OnGet([FromQuery(Name = "client_id")] string? clientId, [FromQuery] string? state, [FromQuery] string? authorize)
    {
        Input = new DiscoveryInput
        {
            ClientId = clientId,
            State = state is { Length: <= 512 } ? state : null,
            Authorize = authorize is { Length: <= 8192 } ? authorize : null,
        };
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var application = HttpContext.RequiredApplication();
        var client = string.IsNullOrEmpty(Input.ClientId) ? null
            : await db.Clients.AsNoTracking().FirstOrDefaultAsync(c => c.Id == Input.ClientId && c.Type != OAuthClientType.MachineToMachine, cancellationToken);

        if (!string.IsNullOrWhiteSpace(Input.TenantName))
        {
            var name = Normalize.Key(Input.TenantName);
            var tenant = await db.Tenants.AsNoTracking().FirstOrDefaultAsync(t => t.NormalizedName == name && t.Status == TenantStatus.Active, cancellationToken);
            if (tenant is null)
            {
                ErrorMessage = "We could not find an organization with that name.";
                return Page();
            }

            return SeeOther(LoginUrlFor(application, client, tenant, loginHint: null));
        }

        var address = Input.Email?.Trim();
        if (string.IsNullOrEmpty(address) || address.Length > 200 || !address.Contains('@', StringComparison.Ordinal))
        {
            ErrorMessage = "Enter your organization's name or your work email.";
            return Page();
        }

        // Discovery spans every tenant of this application, so it deliberately sets the tenant filter aside.
        var normalized = Normalize.Key(address);
        var tenants = await db.Users.IgnoreQueryFilters([QueryFilters.Tenant]).AsNoTracking()
            .Where(u => u.NormalizedEmail == normalized)
            .Join(db.Tenants.Where(t => t.Status == TenantStatus.Active), u => u.TenantId, t => t.Id, (_, t) => t)
            .Distinct().Take(50).ToListAsync(cancellationToken);

        if (tenants.Count == 1)
        {
            return SeeOther(LoginUrlFor(application, client, tenants[0], address));
        }

        if (tenants.Count > 1)
        {
            var links = tenants.Select(t => (t.DisplayName, LoginUrlFor(application, client, t, address))).ToList();
            outbox.Enqueue(EmailTemplates.TenantDiscovery(new EmailBrand(application.DisplayName), links), address, tenantId: null);
            await db.SaveChangesAsync(cancellationToken);
            DiscoveryEmailSent(logger, application.Id, tenants.Count);
        }

        EmailSent = true;
        return Page();
    }

    /// <summary>
    /// The client's login URL (else the application's, else the tenant's own hosted login page), with the
    /// tenant substituted into a template or passed as both <c>tenant_domain</c> and <c>tenant_name</c>.
    /// </summary>
    private string LoginUrlFor(Application application, OAuthClient? client, Tenant tenant, string? loginHint)
    {
        if (Input.Authorize is not null)
        {
            // An authorization request that began on the application host continues, unchanged, on the tenant's
            // host. Only the query travels: the destination is always this application's own tenant host.
            var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery("?" + Input.Authorize)
                .Where(p => p.Key != "login_hint")
                .Select(p => new KeyValuePair<string, string?>(p.Key, p.Value.ToString()))
                .Append(new("login_hint", loginHint));
            return RedirectUris.AppendQuery($"https://{application.TenantHost(tenant)}{AuthorizeEndpoint.Path}", query);
        }

        var template = client?.LoginUrl ?? application.LoginUrl;
        if (template is null)
        {
            return RedirectUris.AppendQuery($"https://{application.TenantHost(tenant)}/login", [new("login_hint", loginHint)]);
        }

        var parameters = new List<KeyValuePair<string, string?>>();
        if (!RedirectUris.IsTemplate(template))
        {
            parameters.AddRange(RedirectUris.TenantParameters(tenant, null));
        }

        parameters.Add(new("login_hint", loginHint));
        parameters.Add(new("state", Input.State));
        return RedirectUris.AppendQuery(RedirectUris.Substitute(template, tenant), parameters);
    }

    /// <summary>303 after a POST: the browser follows with a GET (RFC 9700 §4.12).</summary>
    private StatusCodeResult SeeOther(string url)
    {
        Response.Headers.Location = url;
        return StatusCode(StatusCodes.Status303SeeOther);
    }

    public sealed class DiscoveryInput
    {
        public string? ClientId { get; set; }
        public string? State { get; set; }
        public string? TenantName { get; set; }
        public string? Email { get; set; }

        /// <summary>The query of an authorization request that started on the application host.</summary>
        public string? Authorize { get; set; }
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Tenant discovery email sent in application {ApplicationId} listing {Count} tenants")]
    private static partial void DiscoveryEmailSent(ILogger logger, string applicationId, int count);
}

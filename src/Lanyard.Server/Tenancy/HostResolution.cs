using Lanyard.Server.Common;
using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Tenants;
using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Tenancy;

/// <summary>What a Host header names: an application's own host, or one of its tenants' hosts.</summary>
internal abstract record HostResolution
{
    private HostResolution() { }

    public sealed record ApplicationHost(Application Application) : HostResolution;

    public sealed record TenantHost(Application Application, Tenant Tenant) : HostResolution;

    public sealed record Unknown : HostResolution;
}

/// <summary>
/// Maps a Host header to (application, tenant?). Host names are compared without their port: the port
/// in a vanity domain only matters when Lanyard builds URLs. Tenant hosts are
/// <c>{tenant}-{domain}</c> or <c>{tenant}.{domain}</c> by the application's style, or a verified
/// tenant custom domain. Anything else is unknown, and unknown hosts get a plain 404.
/// </summary>
internal sealed class HostResolver(DbContextOnDemand db, TenantContext scope, ApplicationDirectory directory)
{
    public async Task<HostResolution> ResolveAsync(string rawHost, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(rawHost))
        {
            return new HostResolution.Unknown();
        }

        var host = Normalize.Host(rawHost);

        var applications = await directory.AllAsync(db, cancellationToken);
        var application = applications.FirstOrDefault(a => a.VanityHost == host);
        if (application is not null)
        {
            scope.Enter(application.Id);
            return new HostResolution.ApplicationHost(application.Copy());
        }

        foreach (var candidate in applications)
        {
            var suffix = candidate.TenantHostStyle.Separator() + candidate.VanityHost;
            if (host.Length <= suffix.Length || !host.EndsWith(suffix, StringComparison.Ordinal))
            {
                continue;
            }

            var tenantName = host[..^suffix.Length];
            if (tenantName.Contains('.', StringComparison.Ordinal))
            {
                continue; // Only one label may precede the domain; deeper names are not ours.
            }

            scope.Enter(candidate.Id);
            var tenant = await db.Context.Tenants.AsNoTracking()
                .FirstOrDefaultAsync(t => t.NormalizedName == tenantName, cancellationToken);
            if (tenant is null || tenant.Status == TenantStatus.DeleteInProgress)
            {
                return new HostResolution.Unknown();
            }

            scope.Enter(candidate.Id, tenant.Id);
            return new HostResolution.TenantHost(candidate.Copy(), tenant);
        }

        // Custom domains span applications, so this lookup deliberately sets the application filter aside
        // and pins the application from the row it finds.
        var byCustomDomain = await db.Context.Tenants.IgnoreQueryFilters([QueryFilters.Application]).AsNoTracking()
            .FirstOrDefaultAsync(t => t.CustomDomain == host && t.CustomDomainVerified, cancellationToken);
        if (byCustomDomain is not null && byCustomDomain.Status != TenantStatus.DeleteInProgress)
        {
            var owner = applications.FirstOrDefault(a => a.Id == byCustomDomain.ApplicationId);
            if (owner is not null)
            {
                scope.Enter(owner.Id, byCustomDomain.Id);
                return new HostResolution.TenantHost(owner.Copy(), byCustomDomain);
            }
        }

        return new HostResolution.Unknown();
    }
}

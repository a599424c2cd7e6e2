using Lanyard.Server.Features.Applications;
using Lanyard.Server.Features.Tenants;
using Microsoft.AspNetCore.Routing.Matching;

namespace Lanyard.Server.Tenancy;

internal enum HostKind
{
    Application,
    Tenant,
}

/// <summary>Marks an endpoint or page as answering only on application hosts or only on tenant hosts.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
internal sealed class HostKindAttribute(HostKind kind) : Attribute
{
    public HostKind Kind { get; } = kind;
}

/// <summary>
/// Routing by host kind: an endpoint marked for tenant hosts does not exist on an application host and
/// vice versa (404), and one path (<c>/login</c>) can mean the application's tenant-discovery page on the
/// application host and the tenant's login page on a tenant host.
/// </summary>
internal sealed class HostKindPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<HostKindAttribute>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var resolution = httpContext.GetHostResolution();
        for (var i = 0; i < candidates.Count; i++)
        {
            var required = candidates[i].Endpoint.Metadata.GetMetadata<HostKindAttribute>();
            if (required is null)
            {
                continue;
            }

            var matches = (required.Kind, resolution) switch
            {
                (HostKind.Application, HostResolution.ApplicationHost) => true,
                (HostKind.Tenant, HostResolution.TenantHost) => true,
                _ => false,
            };
            candidates.SetValidity(i, matches);
        }

        return Task.CompletedTask;
    }
}

internal static class HostKindExtensions
{
    public static TBuilder OnHost<TBuilder>(this TBuilder builder, HostKind kind) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new HostKindAttribute(kind));

    /// <summary>The application of a request on an application host (endpoints marked <see cref="HostKind.Application"/>).</summary>
    public static Application RequiredApplication(this HttpContext http) => http.GetHostResolution() switch
    {
        HostResolution.ApplicationHost a => a.Application,
        HostResolution.TenantHost t => t.Application,
        _ => throw new InvalidOperationException("The request has no resolved application."),
    };

    /// <summary>The tenant of a request on a tenant host (endpoints marked <see cref="HostKind.Tenant"/>).</summary>
    public static Tenant RequiredTenant(this HttpContext http) =>
        (http.GetHostResolution() as HostResolution.TenantHost)?.Tenant
        ?? throw new InvalidOperationException("The request is not on a tenant host.");
}

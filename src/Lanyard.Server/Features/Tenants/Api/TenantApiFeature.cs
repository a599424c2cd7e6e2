using Lanyard.Server.Features.Tenants.Api;

// In the feature's parent namespace, which the composition root already imports.
namespace Lanyard.Server.Features.Tenants;

/// <summary>Registration of the tenant management APIs (the query API first).</summary>
internal static class TenantApiFeature
{
    public static IServiceCollection AddTenantApiFeature(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapTenantApiFeature(this IEndpointRouteBuilder routes)
    {
        TenantListEndpoint.Map(routes);
        return routes;
    }
}

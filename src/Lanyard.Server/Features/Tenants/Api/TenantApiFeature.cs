using Lanyard.Server.Features.Tenants.Api;
using Lanyard.Server.Features.Tenants.Deletion;

// In the feature's parent namespace, which the composition root already imports.
namespace Lanyard.Server.Features.Tenants;

/// <summary>Registration of the tenant management APIs and the tenant deletion worker.</summary>
internal static class TenantApiFeature
{
    public static IServiceCollection AddTenantApiFeature(this IServiceCollection services)
    {
        services.AddSingleton<TenantDeletionSignal>();
        services.AddScoped<TenantDeletion>();
        services.AddHostedService<TenantDeletionWorker>();
        return services;
    }

    public static IEndpointRouteBuilder MapTenantApiFeature(this IEndpointRouteBuilder routes)
    {
        TenantListEndpoint.Map(routes);
        TenantEndpoints.Map(routes);
        return routes;
    }
}

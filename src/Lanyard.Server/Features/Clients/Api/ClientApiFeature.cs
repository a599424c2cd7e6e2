using Lanyard.Server.Features.Clients.Api;

// In the feature's parent namespace, which the composition root already imports.
namespace Lanyard.Server.Features.Clients;

/// <summary>Registration of the OAuth2 client management API.</summary>
internal static class ClientApiFeature
{
    public static IServiceCollection AddClientApiFeature(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapClientApiFeature(this IEndpointRouteBuilder routes)
    {
        ClientEndpoints.Map(routes);
        return routes;
    }
}

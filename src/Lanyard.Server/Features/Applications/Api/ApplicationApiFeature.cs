using Lanyard.Server.Features.Applications.Api;

// In the feature's parent namespace.
namespace Lanyard.Server.Features.Applications;

/// <summary>Registration of the application resource endpoints.</summary>
internal static class ApplicationApiFeature
{
    public static IEndpointRouteBuilder MapApplicationApiFeature(this IEndpointRouteBuilder routes)
    {
        ApplicationEndpoints.Map(routes);
        return routes;
    }
}

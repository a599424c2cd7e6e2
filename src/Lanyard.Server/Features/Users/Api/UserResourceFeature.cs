using Lanyard.Server.Features.Users.Api;

// In the feature's parent namespace, which the composition root already imports.
namespace Lanyard.Server.Features.Users;

/// <summary>Registration of the user resource endpoints (create, read, patch, delete, revoke sessions).</summary>
internal static class UserResourceFeature
{
    public static IEndpointRouteBuilder MapUserResourceFeature(this IEndpointRouteBuilder routes)
    {
        UserEndpoints.Map(routes);
        return routes;
    }
}

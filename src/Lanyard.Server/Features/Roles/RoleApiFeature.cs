namespace Lanyard.Server.Features.Roles;

/// <summary>Registration of the role, permission and role-assignment APIs.</summary>
internal static class RoleApiFeature
{
    public static IServiceCollection AddRoleApiFeature(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapRoleApiFeature(this IEndpointRouteBuilder routes)
    {
        RoleEndpoints.Map(routes);
        RoleAssignmentEndpoints.Map(routes);
        RoleUpdateEndpoints.Map(routes);
        RoleListEndpoints.Map(routes);
        UserRoleEndpoints.Map(routes);
        PermissionGroupEndpoints.Map(routes);
        PermissionBoundaryEndpoints.Map(routes);
        return routes;
    }
}

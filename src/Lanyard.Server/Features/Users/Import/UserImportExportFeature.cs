using Lanyard.Server.Features.Users.Api;
using Lanyard.Server.Features.Users.Export;
using Lanyard.Server.Features.Users.Import;

// In the feature's parent namespace, which the composition root already imports.
namespace Lanyard.Server.Features.Users;

/// <summary>Registration of user import and export: the service, the API, the user list API export pages with, and the command-line verbs.</summary>
internal static class UserImportExportFeature
{
    public static IServiceCollection AddUserImportExportFeature(this IServiceCollection services)
    {
        services.AddScoped<UserImporter>();
        services.AddSingleton<UserExporter>();
        services.AddSingleton<UserImportCommand>();
        services.AddSingleton<UserExportCommand>();
        return services;
    }

    public static IEndpointRouteBuilder MapUserImportExportFeature(this IEndpointRouteBuilder routes)
    {
        UserImportEndpoint.Map(routes);
        UserListEndpoint.Map(routes);
        return routes;
    }
}

namespace Lanyard.Server.Features.PasswordReset;

/// <summary>Registration of password reset, change password and missing-password remediation.</summary>
internal static class PasswordResetFeature
{
    public static IServiceCollection AddPasswordResetFeature(this IServiceCollection services) =>
        services.AddScoped<PasswordResets>();

    public static IEndpointRouteBuilder MapPasswordResetFeature(this IEndpointRouteBuilder routes)
    {
        PasswordResetEndpoints.Map(routes);
        ChangePasswordEndpoint.Map(routes);
        return routes;
    }
}

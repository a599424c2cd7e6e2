namespace Lanyard.Server.Features.Mfa;

/// <summary>Registration of multi-factor authentication: enrollment, challenge, factor management and the MFA policy APIs.</summary>
internal static class MfaFeature
{
    public static IServiceCollection AddMfaFeature(this IServiceCollection services)
    {
        services.AddScoped<MfaService>();
        services.AddScoped<MfaHandoff>();
        return services;
    }

    public static IEndpointRouteBuilder MapMfaFeature(this IEndpointRouteBuilder routes)
    {
        MfaEndpoints.Map(routes);
        MfaHandoff.MapCreateAuthSessionEndpoint(routes);
        return routes;
    }
}

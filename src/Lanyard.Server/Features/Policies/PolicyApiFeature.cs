namespace Lanyard.Server.Features.Policies;

/// <summary>Registration of the policy management APIs (the MFA policy first; the other kinds reuse <see cref="PolicyStore"/>).</summary>
internal static class PolicyApiFeature
{
    public static IServiceCollection AddPolicyApiFeature(this IServiceCollection services)
    {
        services.AddScoped<PolicyStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapPolicyApiFeature(this IEndpointRouteBuilder routes)
    {
        MfaPolicyEndpoints.Map(routes);
        return routes;
    }
}

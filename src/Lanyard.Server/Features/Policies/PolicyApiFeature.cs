namespace Lanyard.Server.Features.Policies;

/// <summary>Registration of the policy management APIs (every kind in <see cref="PolicyKinds"/>) and the page branding stylesheet.</summary>
internal static class PolicyApiFeature
{
    public static IServiceCollection AddPolicyApiFeature(this IServiceCollection services)
    {
        services.AddScoped<PolicyStore>();
        services.AddScoped<PageBrandingReader>();
        return services;
    }

    public static IEndpointRouteBuilder MapPolicyApiFeature(this IEndpointRouteBuilder routes)
    {
        PolicyKinds.MapAll(routes);
        PageBrandingReader.Map(routes);
        return routes;
    }
}

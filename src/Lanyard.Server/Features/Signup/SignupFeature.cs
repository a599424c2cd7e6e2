namespace Lanyard.Server.Features.Signup;

/// <summary>Registration of signup, user activation and email verification.</summary>
internal static class SignupFeature
{
    public static IServiceCollection AddSignupFeature(this IServiceCollection services) => services
        .AddSingleton(provider => SignupLimits.From(provider.GetRequiredService<Hosting.ServerSettings>()))
        .AddScoped<SignupService>()
        .AddScoped<ActivationService>();

    public static IEndpointRouteBuilder MapSignupFeature(this IEndpointRouteBuilder routes)
    {
        SignupEndpoints.Map(routes);
        ActivationEndpoints.Map(routes);
        return routes;
    }
}

namespace Lanyard.Server.Features.Invitations;

/// <summary>Registration of new-user and existing-user invitations.</summary>
internal static class InvitationFeature
{
    public static IServiceCollection AddInvitationFeature(this IServiceCollection services)
    {
        services.AddScoped<InvitationSender>();
        services.AddScoped<InvitationAcceptance>();
        return services;
    }

    public static IEndpointRouteBuilder MapInvitationFeature(this IEndpointRouteBuilder routes)
    {
        InvitationEndpoints.Map(routes);
        return routes;
    }
}

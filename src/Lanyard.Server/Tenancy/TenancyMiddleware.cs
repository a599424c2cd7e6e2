namespace Lanyard.Server.Tenancy;

/// <summary>
/// Resolves the request's host once and stores the result for the rest of the pipeline. Health probes
/// are answered on any host (load balancers call them by IP); every other path on an unknown host
/// ends here with a bare 404, so no page of any tenant is ever rendered for a host that is not its own.
/// </summary>
internal sealed class TenancyMiddleware(RequestDelegate next, ILogger<TenancyMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context, HostResolver resolver)
    {
        if (context.Request.Path.StartsWithSegments("/healthz") || context.Request.Path.StartsWithSegments("/readyz"))
        {
            await next(context);
            return;
        }

        var resolution = await resolver.ResolveAsync(context.Request.Host.Value ?? "", context.RequestAborted);
        if (resolution is HostResolution.Unknown)
        {
            Log.UnknownHost(logger, context.Request.Host.Host);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Features.Set(resolution);
        await next(context);
    }
}

internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Request for unknown host {Host} answered 404")]
    public static partial void UnknownHost(ILogger logger, string host);
}

internal static class TenancyHttpContextExtensions
{
    /// <summary>The host resolution of this request; only absent on health probes.</summary>
    public static HostResolution? GetHostResolution(this HttpContext context) => context.Features.Get<HostResolution>();
}

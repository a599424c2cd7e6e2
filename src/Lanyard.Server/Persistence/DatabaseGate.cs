using Lanyard.Server.Hosting;

namespace Lanyard.Server.Persistence;

/// <summary>
/// Open once the schema is current and a new database is seeded (<see cref="DatabasePreparation"/>). The web server
/// starts listening at the same time as that work runs, to start sooner, so everything that touches the database
/// before the first request is handled — background workers, early requests — waits here first.
/// </summary>
internal sealed class DatabaseGate
{
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsOpen => _opened.Task.IsCompletedSuccessfully;

    public Task WaitAsync(CancellationToken cancellationToken) => _opened.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// For background work, which has nothing to do on a database that never became ready: when the preparation fails,
    /// the host's start fails with its reason, prints it once and stops the server. This waits for that stop instead of
    /// throwing the same reason again, which made every worker log it as a failure of its own (two lines each).
    /// </summary>
    public async Task WaitToWorkAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _opened.Task.WaitAsync(stoppingToken);
        }
        catch (Exception) when (_opened.Task.IsFaulted)
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
    }

    public void Open() => _opened.TrySetResult();

    public void Fail(Exception reason) => _opened.TrySetException(reason);
}

/// <summary>Holds early requests until the database is ready; <c>/readyz</c> says 503 meanwhile, <c>/healthz</c> answers at once.</summary>
internal sealed class DatabaseGateMiddleware(RequestDelegate next, DatabaseGate gate)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!gate.IsOpen && !context.Request.Path.StartsWithSegments("/healthz"))
        {
            if (context.Request.Path.StartsWithSegments("/readyz"))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsync("not ready", context.RequestAborted);
                return;
            }

            await gate.WaitAsync(context.RequestAborted);
        }

        await next(context);
    }
}

internal static class DatabaseGateExtensions
{
    /// <summary>
    /// For background workers: returns once the database is ready (<see cref="DatabaseGate"/>) and then
    /// <see cref="ServerSettings.WorkerStartDelay"/> has passed.
    /// </summary>
    public static async Task WaitForWorkerStartAsync(this IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        TimeSpan delay;
        using (var scope = scopes.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<DatabaseGate>().WaitToWorkAsync(cancellationToken);
            delay = scope.ServiceProvider.GetRequiredService<ServerSettings>().WorkerStartDelay;
        }

        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }
    }
}

using Lanyard.Server.Persistence;
using Microsoft.EntityFrameworkCore;

namespace Lanyard.Server.Features.SigningKeys;

/// <summary>Checks every hour whether an application's key is due for rotation. Idempotent across nodes.</summary>
internal sealed partial class KeyRotationWorker(
    IServiceScopeFactory scopes, SigningKeyRing ring, TimeProvider time, ILogger<KeyRotationWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await scopes.WaitForWorkerStartAsync(stoppingToken);
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                List<string> applications;
                await using (var scope = scopes.CreateAsyncScope())
                {
                    // Iterating applications is the one place that must see them all.
                    applications = await scope.ServiceProvider.GetRequiredService<LanyardDbContext>()
                        .Applications.Select(a => a.Id).ToListAsync(stoppingToken);
                }

                foreach (var application in applications)
                {
                    await ring.RotateIfDueAsync(application, stoppingToken);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                RotationCheckFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Signing-key rotation check failed; it runs again within the hour")]
    private static partial void RotationCheckFailed(ILogger logger, Exception exception);
}

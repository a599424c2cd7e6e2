namespace Lanyard.Server.Hosting;

/// <summary>
/// Gives memory back to the operating system once the server goes quiet. Start-up (EF Core's model and its first
/// queries, Razor Pages, the workers' first passes) and every burst of traffic leave free space in the GC heap that
/// the server GC keeps committed for the next burst; a server that then idles holds it for nothing, and a container's
/// memory limit counts it. When the process has allocated almost nothing for one check period, after allocating a
/// lot since the last release, one compacting collection that decommits the free space
/// (<see cref="GCCollectionMode.Aggressive"/>) returns it: a pause of a few milliseconds over a small heap, taken only
/// when nothing is being served, and not again until there has been traffic.
/// </summary>
internal sealed partial class IdleMemoryRelease(ILogger<IdleMemoryRelease> logger) : BackgroundService
{
    /// <summary>How often the allocation counter is read: a counter read every two seconds costs nothing.</summary>
    internal static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(2);

    /// <summary>Less than this allocated in a whole period is idle: timers and the workers' polls allocate kilobytes.</summary>
    internal const long QuietBytes = 1L << 20;

    /// <summary>Less than this allocated since the last release leaves too little garbage to be worth a full collection.</summary>
    internal const long WorthwhileBytes = 8L << 20;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Housekeeping on the real clock, like the workers' poll cadence: not business time.
        using var timer = new PeriodicTimer(CheckPeriod);
        var lastCheck = GC.GetTotalAllocatedBytes();
        var lastRelease = 0L;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = GC.GetTotalAllocatedBytes();
                if (ShouldRelease(now - lastCheck, now - lastRelease))
                {
                    Release();
                    lastRelease = GC.GetTotalAllocatedBytes();
                }

                lastCheck = GC.GetTotalAllocatedBytes();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal static bool ShouldRelease(long allocatedInLastPeriod, long allocatedSinceLastRelease) =>
        allocatedInLastPeriod < QuietBytes && allocatedSinceLastRelease >= WorthwhileBytes;

    private void Release()
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var after = GC.GetGCMemoryInfo().TotalCommittedBytes;
        Released(logger, before >> 10, after >> 10);
    }

    [LoggerMessage(EventId = 1221, Level = LogLevel.Debug,
        Message = "Idle: released memory held for past traffic; GC heap committed {BeforeKiB} KiB, now {AfterKiB} KiB")]
    private static partial void Released(ILogger logger, long beforeKiB, long afterKiB);
}

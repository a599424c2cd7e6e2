using Lanyard.Server.Hosting;

namespace Lanyard.Server.Tests.Hosting;

/// <summary>
/// The decision of the idle release. The collection itself is the runtime's; what matters is that it runs only when
/// nothing is being served (a full blocking collection under load would be a pause on every request in flight) and
/// does not repeat through a long quiet night.
/// </summary>
public sealed class IdleMemoryReleaseTests
{
    private const long MiB = 1L << 20;

    [Fact]
    public void A_quiet_period_after_traffic_releases()
    {
        Assert.True(IdleMemoryRelease.ShouldRelease(allocatedInLastPeriod: 64 * 1024, allocatedSinceLastRelease: 30 * MiB));
    }

    [Fact]
    public void A_busy_period_never_releases()
    {
        Assert.False(IdleMemoryRelease.ShouldRelease(allocatedInLastPeriod: 5 * MiB, allocatedSinceLastRelease: 500 * MiB));
    }

    [Fact]
    public void A_quiet_period_right_after_a_release_does_not_release_again()
    {
        Assert.False(IdleMemoryRelease.ShouldRelease(allocatedInLastPeriod: 64 * 1024, allocatedSinceLastRelease: 2 * MiB));
    }
}

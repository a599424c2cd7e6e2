using System.Diagnostics;
using Lanyard.Server.Hosting;
using Lanyard.Server.Persistence;
using Lanyard.Server.Tests.Hosting;

namespace Lanyard.Server.Tests.Persistence;

/// <summary>
/// Background workers start their first pass only after the database is ready and then the start delay: a worker
/// that ran before the schema is current would fail, one that ran at once would compete with the first requests.
/// </summary>
public sealed class WorkerStartTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Fact]
    public void The_start_delay_defaults_to_two_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), SettingsKit.Load([]).WorkerStartDelay);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("60001")]
    [InlineData("soon")]
    public void A_start_delay_out_of_range_is_reported(string value)
    {
        var failure = Assert.Throws<InvalidSettingsException>(() =>
            SettingsKit.Load(new() { ["Lanyard:Workers:StartDelayMilliseconds"] = value }));

        Assert.Contains(failure.Errors, e => e.Contains("Lanyard:Workers:StartDelayMilliseconds", StringComparison.Ordinal)
            && e.Contains("from 0 to 60000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_worker_waits_for_the_database_then_the_delay()
    {
        var (scopes, gate) = Services("400");

        var started = Stopwatch.StartNew();
        var wait = scopes.WaitForWorkerStartAsync(TestContext.Current.CancellationToken);
        await Task.Delay(200, TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted, "The worker started before the database was ready.");

        var openedAt = started.Elapsed;
        gate.Open();
        await wait.WaitAsync(Prompt, TestContext.Current.CancellationToken);

        Assert.True(started.Elapsed - openedAt >= TimeSpan.FromMilliseconds(380), $"The worker started {(started.Elapsed - openedAt).TotalMilliseconds:F0} ms after the database opened.");
    }

    [Fact]
    public async Task Without_a_delay_a_worker_starts_when_the_database_is_ready()
    {
        var (scopes, gate) = Services("0");

        var wait = scopes.WaitForWorkerStartAsync(TestContext.Current.CancellationToken);
        Assert.False(wait.IsCompleted);
        gate.Open();

        await wait.WaitAsync(Prompt, TestContext.Current.CancellationToken);
    }

    private static (IServiceScopeFactory Scopes, DatabaseGate Gate) Services(string delayMilliseconds)
    {
        var gate = new DatabaseGate();
        var provider = new ServiceCollection()
            .AddSingleton(gate)
            .AddSingleton(SettingsKit.Load(new() { ["Lanyard:Workers:StartDelayMilliseconds"] = delayMilliseconds }))
            .BuildServiceProvider();
        return (provider.GetRequiredService<IServiceScopeFactory>(), gate);
    }
}

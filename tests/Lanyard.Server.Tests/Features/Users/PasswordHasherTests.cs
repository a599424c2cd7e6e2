using System.Security.Cryptography;
using Lanyard.Server.Features.Users;
using Lanyard.Server.Hosting;
using Lanyard.Server.Tests.Hosting;
using Lanyard.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Lanyard.Server.Tests.Features.Users;

/// <summary>
/// Password hashes run at most one per processor; further ones queue without a thread. What is checked: a queued
/// hash really waits (it does not run beside the others), a caller who gives up while queued costs no hash, a long
/// wait is logged once, and an account without a hash still costs a full hash.
/// </summary>
public sealed class PasswordHasherTests
{
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Hashes_beyond_one_per_processor_queue_a_caller_who_gives_up_costs_nothing_and_a_long_wait_is_logged_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var logs = new RecentLogs();
        using var loggers = new LoggerFactory([logs]);
        var time = new FakeTimeProvider();
        using var hasher = new PasswordHasher(Settings(), time, loggers.CreateLogger<PasswordHasher>());

        // Each holder checks a password against a hash at 4,000,000 iterations (about a second of one core): long
        // enough for the queue below to be observed while every slot is busy.
        var holders = Enumerable.Range(0, PasswordHasher.Slots)
            .Select(_ => Task.Run(() => hasher.VerifyAsync("guess", ExpensiveHash(), ct), ct)).ToList();
        await WaitUntilAsync(() => hasher.FreeSlots == 0, "every slot taken by a holder");

        using var gaveUp = new CancellationTokenSource();
        var abandoned = Task.Run(() => hasher.HashAsync("never hashed", gaveUp.Token), ct);
        var patient = Task.Run(() => hasher.HashAsync("hashed after the holders", ct), ct);
        await WaitUntilAsync(() => hasher.Waiting == 2, "both callers queued");
        Assert.False(holders.Any(h => h.IsCompleted), "a holder finished before the queue was checked: the test needs a longer hash");

        await gaveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.WaitAsync(Prompt, ct));
        Assert.Equal(0, hasher.FreeSlots); // it left the queue while the holders still hashed: it never ran a hash

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.All(await Task.WhenAll(holders).WaitAsync(Prompt, ct), v => Assert.Equal(PasswordVerification.Failed, v));
        var hash = await patient.WaitAsync(Prompt, ct);
        Assert.Equal(PasswordVerification.Succeeded, await hasher.VerifyAsync("hashed after the holders", hash, ct));
        Assert.Equal(PasswordHasher.Slots, hasher.FreeSlots);

        var warning = Assert.Single(logs.Lines);
        Assert.Contains($" {LogLevel.Warning} {typeof(PasswordHasher).FullName}[2110]: ", warning, StringComparison.Ordinal);
        Assert.Contains("waited 2000 ms", warning, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checking_a_password_of_an_account_without_a_hash_fails_and_still_costs_a_hash()
    {
        var ct = TestContext.Current.CancellationToken;
        using var hasher = new PasswordHasher(Settings(iterations: 600_000), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<PasswordHasher>.Instance);
        var stored = await hasher.HashAsync("correct horse battery", ct);
        _ = await hasher.VerifyAsync("warm-up", null, ct); // the reference hash is made on first use

        var real = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync("wrong", stored, ct));
        real.Stop();
        var missing = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(PasswordVerification.Failed, await hasher.VerifyAsync("correct horse battery", null, ct));
        missing.Stop();

        // A PBKDF2 at 600,000 iterations takes well over 50 ms on any CPU; a skipped one takes microseconds.
        Assert.True(missing.Elapsed > real.Elapsed / 4, $"no stored hash: {missing.Elapsed.TotalMilliseconds} ms; a real check: {real.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_hash_asked_for_after_the_hasher_is_disposed_fails_at_once_instead_of_waiting_forever()
    {
        var hasher = new PasswordHasher(Settings(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<PasswordHasher>.Instance);
        var before = await hasher.HashAsync("hashed before the host stops", TestContext.Current.CancellationToken);
        Assert.StartsWith("$pbkdf2-sha256$", before, StringComparison.Ordinal);

        hasher.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => hasher.HashAsync("too late", TestContext.Current.CancellationToken));
    }

    private static string ExpensiveHash() =>
        $"$pbkdf2-sha256$i=4000000${Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}${Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))}";

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Prompt;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    private static ServerSettings Settings(int iterations = 1_000) => SettingsKit.Load(new Dictionary<string, string?>
    {
        ["Lanyard:Passwords:Pbkdf2Iterations"] = iterations.ToString(System.Globalization.CultureInfo.InvariantCulture),
    });
}

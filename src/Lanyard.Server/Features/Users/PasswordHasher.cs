using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Lanyard.Server.Hosting;

namespace Lanyard.Server.Features.Users;

/// <summary>
/// PBKDF2-HMAC-SHA256 at OWASP's current work factor (600,000 iterations), in a self-describing
/// format <c>$pbkdf2-sha256$i={iterations}${salt}${hash}</c> so the work factor can rise later and old
/// hashes are recognised for rehash on the next successful login. Hashes imported from other systems
/// (see <see cref="PasswordHashFormats"/>) verify too and are replaced by this format at the first
/// successful login.
/// </summary>
/// <remarks>
/// A hash costs about 150 ms of one core, far more than any other request. Hashes therefore run at most one per
/// processor (<see cref="Slots"/>) and further ones wait asynchronously for a slot, without holding a thread: a
/// burst of logins, honest or a guessing attack, keeps its CPU to the cores, and the thread pool does not grow
/// threads that then take turns on those cores while token, JWKS and page requests queue behind them.
/// </remarks>
internal sealed partial class PasswordHasher(ServerSettings settings, TimeProvider time, ILogger<PasswordHasher> logger) : IDisposable
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private static readonly TimeSpan SlowWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _slots = new(Slots, Slots);
    private readonly Lazy<string> _dummyHash = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), settings.PasswordHashIterations));
    private int _waiting;
    private long _lastWarningTicks = long.MinValue;

    /// <summary>How many hashes run at once: one per processor the runtime may use.</summary>
    public static int Slots { get; } = Environment.ProcessorCount;

    /// <summary>Slots free right now (for tests and diagnostics).</summary>
    internal int FreeSlots => _slots.CurrentCount;

    /// <summary>Callers queued for a slot right now (for tests and diagnostics).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    /// <summary>A hash of <paramref name="password"/> at the current work factor, once a hashing slot is free.</summary>
    public Task<string> HashAsync(string password, CancellationToken cancellationToken) =>
        InSlotAsync(() => Hash(password, settings.PasswordHashIterations), cancellationToken);

    /// <summary>
    /// Checks a password against a stored hash in any format of <see cref="PasswordHashFormats"/>. A hash in
    /// another format than Lanyard's own (an imported one) or at a lower work factor verifies with
    /// <see cref="PasswordVerification.SucceededRehashNeeded"/>, so the caller stores a fresh hash of the
    /// password it now knows. A malformed hash or one whose cost exceeds the bounds never verifies.
    /// <para>
    /// With no stored hash (an unknown account, one without a password, one of another identity provider) the
    /// password is checked against a hash of a random password and fails: the check costs the same either way,
    /// so the response time does not tell which accounts exist or have a password.
    /// </para>
    /// </summary>
    public Task<PasswordVerification> VerifyAsync(string password, string? stored, CancellationToken cancellationToken) =>
        InSlotAsync(() => stored is null ? FailAfterReferenceCheck(password) : Verify(password, stored), cancellationToken);

    public void Dispose() => _slots.Dispose();

    private PasswordVerification FailAfterReferenceCheck(string password)
    {
        _ = Verify(password, _dummyHash.Value);
        return PasswordVerification.Failed;
    }

    private PasswordVerification Verify(string password, string stored)
    {
        var hash = PasswordHashFormats.TryParse(stored);
        if (hash is null || !hash.Matches(password))
        {
            return PasswordVerification.Failed;
        }

        return hash is StoredPasswordHash.Pbkdf2 { Iterations: var iterations } own
               && own.Algorithm == HashAlgorithmName.SHA256 && iterations >= settings.PasswordHashIterations
            ? PasswordVerification.Succeeded
            : PasswordVerification.SucceededRehashNeeded;
    }

    private async Task<T> InSlotAsync<T>(Func<T> hashing, CancellationToken cancellationToken)
    {
        await EnterAsync(cancellationToken);
        try
        {
            return hashing();
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task EnterAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_slots.Wait(0, CancellationToken.None))
        {
            return;
        }

        var started = time.GetTimestamp();
        var waiting = Interlocked.Increment(ref _waiting);
        try
        {
            // A caller that gives up (the browser went away) leaves the queue without costing a hash.
            await _slots.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        var waited = time.GetElapsedTime(started);
        if (waited >= SlowWait && ShouldWarn())
        {
            HashingSaturated(logger, (long)waited.TotalMilliseconds, Slots, waiting);
        }
    }

    /// <summary>At most one warning a minute: under a sustained burst every request waits, and one line says it.</summary>
    private bool ShouldWarn()
    {
        var now = time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarningTicks);
        return (last == long.MinValue || time.GetElapsedTime(last, now) >= WarningInterval)
               && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last;
    }

    private static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture,
            $"${Scheme}$i={iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    [LoggerMessage(EventId = 2110, Level = LogLevel.Warning,
        Message = "Password hashing is saturated: a request waited {WaitedMs} ms for one of the {Slots} hashing slots, with {Waiting} request(s) queued. " +
                  "Logins and password changes are CPU-bound here: add cores or nodes, or look for a password-guessing burst (Lanyard:Throttling)")]
    private static partial void HashingSaturated(ILogger logger, long waitedMs, int slots, int waiting);
}

internal enum PasswordVerification
{
    Failed,
    Succeeded,
    SucceededRehashNeeded,
}

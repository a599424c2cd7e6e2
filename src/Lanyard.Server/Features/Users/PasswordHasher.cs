using System.Collections.Concurrent;
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
/// A hash costs about 150 ms of one core, far more than any other request. Hashes therefore run on their own threads,
/// one per processor (<see cref="Slots"/>), and further ones queue for them without holding a thread: a burst of
/// logins, honest or a guessing attack, keeps its CPU to the cores, and the thread pool's threads stay free for token,
/// JWKS and page requests (and for the rest of each login), which the operating system schedules beside the hashes
/// instead of behind them (ADR 0011).
/// </remarks>
internal sealed partial class PasswordHasher : IDisposable
{
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private static readonly TimeSpan SlowWait = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WarningInterval = TimeSpan.FromMinutes(1);

    private readonly ServerSettings _settings;
    private readonly TimeProvider _time;
    private readonly ILogger<PasswordHasher> _logger;
    private readonly BlockingCollection<HashWork> _queue = new(new ConcurrentQueue<HashWork>());
    private readonly Lazy<string> _dummyHash;
    private int _busy;
    private int _waiting;
    private long _lastWarningTicks = long.MinValue;

    public PasswordHasher(ServerSettings settings, TimeProvider time, ILogger<PasswordHasher> logger)
    {
        _settings = settings;
        _time = time;
        _logger = logger;
        _dummyHash = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), settings.PasswordHashIterations));
        for (var i = 0; i < Slots; i++)
        {
            new Thread(HashUntilDisposed) { IsBackground = true, Name = $"lanyard-password-hash-{i}" }.Start();
        }
    }

    /// <summary>How many hashes run at once: one per processor the runtime may use.</summary>
    public static int Slots { get; } = Environment.ProcessorCount;

    /// <summary>Hashing threads idle right now (for tests and diagnostics).</summary>
    internal int FreeSlots => Slots - Volatile.Read(ref _busy);

    /// <summary>Callers queued for a hashing thread right now (for tests and diagnostics).</summary>
    internal int Waiting => Volatile.Read(ref _waiting);

    /// <summary>A hash of <paramref name="password"/> at the current work factor, once a hashing slot is free.</summary>
    public Task<string> HashAsync(string password, CancellationToken cancellationToken) =>
        InSlotAsync(() => Hash(password, _settings.PasswordHashIterations), cancellationToken);

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

    /// <summary>No hash is accepted any more; the hashing threads finish the queue and end.</summary>
    public void Dispose() => _queue.CompleteAdding();

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
               && own.Algorithm == HashAlgorithmName.SHA256 && iterations >= _settings.PasswordHashIterations
            ? PasswordVerification.Succeeded
            : PasswordVerification.SucceededRehashNeeded;
    }

    private Task<T> InSlotAsync<T>(Func<T> hashing, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var work = new HashWork<T>(hashing, _time.GetTimestamp(), cancellationToken);
        Interlocked.Increment(ref _waiting);
        try
        {
            _queue.Add(work, CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            // Added after Dispose (the host is stopping): no thread will ever take it.
            Interlocked.Decrement(ref _waiting);
            throw new ObjectDisposedException(nameof(PasswordHasher), e);
        }

        return work.Completion.Task;
    }

    private void HashUntilDisposed()
    {
        foreach (var work in _queue.GetConsumingEnumerable())
        {
            var waiting = Interlocked.Decrement(ref _waiting);
            if (work.IsAbandoned)
            {
                continue; // the caller gave up while queued (the browser went away): it costs no hash
            }

            var waited = _time.GetElapsedTime(work.QueuedAt);
            if (waited >= SlowWait && ShouldWarn())
            {
                HashingSaturated(_logger, (long)waited.TotalMilliseconds, Slots, waiting);
            }

            Interlocked.Increment(ref _busy);
            try
            {
                work.Run();
            }
            finally
            {
                Interlocked.Decrement(ref _busy);
            }
        }
    }

    /// <summary>At most one warning a minute: under a sustained burst every request waits, and one line says it.</summary>
    private bool ShouldWarn()
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarningTicks);
        return (last == long.MinValue || _time.GetElapsedTime(last, now) >= WarningInterval)
               && Interlocked.CompareExchange(ref _lastWarningTicks, now, last) == last;
    }

    private static string Hash(string password, int iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture,
            $"${Scheme}$i={iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    private abstract class HashWork(long queuedAt)
    {
        public long QueuedAt { get; } = queuedAt;

        public abstract bool IsAbandoned { get; }

        public abstract void Run();
    }

    /// <summary>One queued hash; its caller awaits <see cref="Completion"/>, and stops waiting when its request is cancelled.</summary>
    private sealed class HashWork<T> : HashWork
    {
        private readonly Func<T> _hashing;

        // Released once the hash is done: a long-lived token (a bulk operation's) would otherwise keep every
        // finished hash's callback until it is disposed.
        private readonly CancellationTokenRegistration _cancellation;

        public HashWork(Func<T> hashing, long queuedAt, CancellationToken cancellationToken) : base(queuedAt)
        {
            _hashing = hashing;
            _cancellation = cancellationToken.Register(() => Completion.TrySetCanceled(cancellationToken));
        }

        // Continuations run on the thread pool, never on a hashing thread.
        public TaskCompletionSource<T> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool IsAbandoned => Completion.Task.IsCompleted;

        public override void Run()
        {
            try
            {
                Completion.TrySetResult(_hashing());
            }
#pragma warning disable CA1031 // Any failure belongs to the caller, who awaits the completion; the hashing thread must live on.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Completion.TrySetException(e);
            }
            finally
            {
                _cancellation.Dispose();
            }
        }
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

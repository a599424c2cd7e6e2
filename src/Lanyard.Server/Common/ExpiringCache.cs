using System.Collections.Concurrent;

namespace Lanyard.Server.Common;

/// <summary>
/// A per-node read-through cache for rows that nearly every request reads and that rarely change. An entry
/// lives for a fixed lifetime, so a change made on another node shows here within that lifetime; a change
/// made on this node invalidates the entry at once. Only found rows are kept: an unknown key is never
/// remembered, so nobody can fill the cache by asking for ids that do not exist.
/// </summary>
internal sealed class ExpiringCache<TKey, TValue>(TimeSpan lifetime, int capacity, TimeProvider time)
    where TKey : notnull
    where TValue : class
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();

    // Bumped by every invalidation: a load that began before it must not store what it read.
    private long _generation;

    public bool Enabled => lifetime > TimeSpan.Zero;

    public async ValueTask<TValue?> GetOrLoadAsync<TState>(
        TKey key, TState state, Func<TKey, TState, CancellationToken, Task<TValue?>> load, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return await load(key, state, cancellationToken);
        }

        if (_entries.TryGetValue(key, out var cached) && time.GetElapsedTime(cached.LoadedAt) < lifetime)
        {
            return cached.Value;
        }

        var generation = Interlocked.Read(ref _generation);
        var loadedAt = time.GetTimestamp();
        var value = await load(key, state, cancellationToken);
        if (value is null)
        {
            _entries.TryRemove(key, out _);
            return null;
        }

        if (_entries.Count >= capacity)
        {
            // Rare by construction (capacity is far above the number of live keys); dropping everything keeps this O(1).
            _entries.Clear();
        }

        _entries[key] = new Entry(value, loadedAt);
        if (Interlocked.Read(ref _generation) != generation)
        {
            _entries.TryRemove(key, out _);
        }

        return value;
    }

    public void Invalidate(TKey key)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(key, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    private sealed record Entry(TValue Value, long LoadedAt);
}

using System.Collections.Concurrent;
using System.Net;

namespace Meshwork.Proxy.Inbound;

/// <summary>One plaintext caller of one workload port, as the table last saw it.</summary>
internal readonly record struct PlaintextPeer(int Port, IPAddress Source, long Connections, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>
/// The plaintext callers of this sidecar's workload ports: per port and source address, how many
/// connections the port accepted without TLS and when first and last. Request metrics carry no
/// addresses, and this is what "what breaks if I switch to STRICT?" needs. Bounded: past
/// <see cref="Capacity"/> entries the one seen least recently is dropped. A known caller costs one
/// lookup and two atomic writes per connection, no allocation.
/// </summary>
internal sealed class PlaintextPeerTable(TimeProvider time, int capacity = PlaintextPeerTable.DefaultCapacity)
{
    public const int DefaultCapacity = 1024;
    private readonly ConcurrentDictionary<(int Port, IPAddress Source), Entry> _entries = new();

    public int Capacity { get; } = capacity;

    public void Record(int port, IPAddress source)
    {
        var now = time.GetUtcNow().UtcTicks;
        if (_entries.TryGetValue((port, source), out var known))
        {
            known.Hit(now);
            return;
        }
        if (_entries.Count >= Capacity) EvictLeastRecent();
        _entries.GetOrAdd((port, source), static (_, ticks) => new Entry(ticks), now).Hit(now);
    }

    public IReadOnlyList<PlaintextPeer> Snapshot() =>
        [.. _entries.Select(e => new PlaintextPeer(e.Key.Port, e.Key.Source, Volatile.Read(ref e.Value.Connections),
                new DateTimeOffset(e.Value.FirstSeenTicks, TimeSpan.Zero), new DateTimeOffset(Volatile.Read(ref e.Value.LastSeenTicks), TimeSpan.Zero)))
            .OrderBy(p => p.Port).ThenByDescending(p => p.LastSeen)];

    private void EvictLeastRecent()
    {
        var oldest = _entries.MinBy(e => Volatile.Read(ref e.Value.LastSeenTicks));
        _entries.TryRemove(oldest.Key, out _);
    }

    private sealed class Entry(long firstSeenTicks)
    {
        public readonly long FirstSeenTicks = firstSeenTicks;
        public long LastSeenTicks = firstSeenTicks;
        public long Connections;

        public void Hit(long now)
        {
            Interlocked.Increment(ref Connections);
            Volatile.Write(ref LastSeenTicks, now);
        }
    }
}

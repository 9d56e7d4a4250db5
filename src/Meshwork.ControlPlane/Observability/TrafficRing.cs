using System.Collections.Immutable;

namespace Meshwork.ControlPlane.Observability;

/// <summary>What every proxy reported at one scrape: counters per proxy and edge, and the connections each refused.</summary>
public sealed record TrafficSample(DateTimeOffset At, ImmutableDictionary<string, IReadOnlyDictionary<EdgeKey, EdgeCounters>> ByProxy)
{
    public ImmutableDictionary<string, IReadOnlyDictionary<RefusedKey, double>> RefusedByProxy { get; init; } =
        ImmutableDictionary<string, IReadOnlyDictionary<RefusedKey, double>>.Empty;
}

/// <summary>One proxy's counters at the first and the last sample of a window that has the proxy.</summary>
public readonly record struct CounterSpan<TKey, TValue>(IReadOnlyDictionary<TKey, TValue> First, IReadOnlyDictionary<TKey, TValue> Last) where TKey : notnull;

/// <summary>
/// A window of the ring: the times of its first and last samples, how many it holds, and each proxy's counters at the
/// first and last of them that have the proxy (what a rate over the window needs, as Prometheus's rate() reads a series).
/// </summary>
public sealed record TrafficWindow(DateTimeOffset From, DateTimeOffset To, int Samples,
    ImmutableArray<CounterSpan<EdgeKey, EdgeCounters>> Requests, ImmutableArray<CounterSpan<RefusedKey, double>> Refused);

/// <summary>
/// The last <see cref="Capacity"/> samples the control plane scraped, oldest dropped first, so that
/// a window ("Last 10m") yields rates rather than lifetime totals without Prometheus. Each proxy's
/// counters are also kept as their own series, so a window is read per proxy (<see cref="Window"/>)
/// without scanning the samples in it.
/// </summary>
public sealed class TrafficRing(int capacity)
{
    private readonly TrafficSample?[] _samples = new TrafficSample?[capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity))];
    private readonly Dictionary<string, ProxySeries<IReadOnlyDictionary<EdgeKey, EdgeCounters>>> _requests = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ProxySeries<IReadOnlyDictionary<RefusedKey, double>>> _refused = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _next;
    private int _count;
    private long _added;

    public int Capacity => _samples.Length;

    /// <summary>The sequence number of the oldest sample still kept.</summary>
    private long OldestKept => _added - _count;

    public void Add(TrafficSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (_gate)
        {
            _samples[_next] = sample;
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
            var sequence = _added++;
            Append(_requests, sample.ByProxy, sequence, sample.At);
            Append(_refused, sample.RefusedByProxy, sequence, sample.At);
            // Once per turn of the ring, forget proxies that no kept sample has (pods that went away).
            if (sequence % _samples.Length == 0)
            {
                Forget(_requests);
                Forget(_refused);
            }
        }
    }

    /// <summary>The samples taken at or after <paramref name="since"/>, oldest first.</summary>
    public ImmutableArray<TrafficSample> Since(DateTimeOffset since)
    {
        lock (_gate)
        {
            var window = ImmutableArray.CreateBuilder<TrafficSample>(_count);
            for (var i = _count; i >= 1; i--)
            {
                var sample = _samples[(_next - i + _samples.Length) % _samples.Length]!;
                if (sample.At >= since) window.Add(sample);
            }
            return window.ToImmutable();
        }
    }

    /// <summary>The window of samples taken at or after <paramref name="since"/>; null when it holds none.</summary>
    public TrafficWindow? Window(DateTimeOffset since)
    {
        lock (_gate)
        {
            // Samples are added in time order: the first one in the window is found by binary search.
            var (low, high) = (0, _count);
            while (low < high)
            {
                var middle = (low + high) >>> 1;
                if (SampleAt(middle).At < since) low = middle + 1;
                else high = middle;
            }
            if (low == _count) return null;
            return new TrafficWindow(SampleAt(low).At, SampleAt(_count - 1).At, _count - low, Spans(_requests, since), Spans(_refused, since));
        }
    }

    /// <summary>The sample <paramref name="logical"/> places from the oldest kept.</summary>
    private TrafficSample SampleAt(int logical) => _samples[(_next - _count + logical + _samples.Length) % _samples.Length]!;

    private void Append<T>(Dictionary<string, ProxySeries<T>> series, ImmutableDictionary<string, T> byProxy, long sequence, DateTimeOffset at) where T : class
    {
        foreach (var (proxy, counters) in byProxy)
        {
            if (!series.TryGetValue(proxy, out var one)) series[proxy] = one = new ProxySeries<T>(_samples.Length);
            one.Append(sequence, at, counters, OldestKept);
        }
    }

    private void Forget<T>(Dictionary<string, ProxySeries<T>> series) where T : class
    {
        foreach (var (proxy, one) in series)
        {
            if (one.Newest < OldestKept) series.Remove(proxy);
        }
    }

    private ImmutableArray<CounterSpan<TKey, TValue>> Spans<TKey, TValue>(Dictionary<string, ProxySeries<IReadOnlyDictionary<TKey, TValue>>> series, DateTimeOffset since)
        where TKey : notnull
    {
        var spans = ImmutableArray.CreateBuilder<CounterSpan<TKey, TValue>>(series.Count);
        foreach (var one in series.Values)
        {
            if (one.TrySpan(since, OldestKept, out var first, out var last)) spans.Add(new(first, last));
        }
        return spans.DrainToImmutable();
    }
}

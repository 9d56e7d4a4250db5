using System.Collections.Immutable;

namespace Meshwork.ControlPlane.Observability;

/// <summary>What every proxy reported at one scrape: counters per proxy and edge, and the connections each refused.</summary>
public sealed record TrafficSample(DateTimeOffset At, ImmutableDictionary<string, IReadOnlyDictionary<EdgeKey, EdgeCounters>> ByProxy)
{
    public ImmutableDictionary<string, IReadOnlyDictionary<RefusedKey, double>> RefusedByProxy { get; init; } =
        ImmutableDictionary<string, IReadOnlyDictionary<RefusedKey, double>>.Empty;
}

/// <summary>
/// The last <see cref="Capacity"/> samples the control plane scraped, oldest dropped first, so that
/// a window ("Last 10m") yields rates rather than lifetime totals without Prometheus.
/// </summary>
public sealed class TrafficRing(int capacity)
{
    private readonly TrafficSample?[] _samples = new TrafficSample?[capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity))];
    private readonly object _gate = new();
    private int _next;
    private int _count;

    public int Capacity => _samples.Length;

    public void Add(TrafficSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        lock (_gate)
        {
            _samples[_next] = sample;
            _next = (_next + 1) % _samples.Length;
            _count = Math.Min(_count + 1, _samples.Length);
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
}

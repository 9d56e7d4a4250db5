using System.Globalization;
using System.Text;

namespace Meshwork.Proxy.Metrics;

/// <summary>
/// One histogram series with fixed buckets, recorded lock-free and without allocation, rendered as
/// Prometheus's cumulative <c>_bucket</c>/<c>_sum</c>/<c>_count</c> lines.
/// </summary>
internal sealed class Histogram(double[] bounds)
{
    /// <summary>
    /// Envoy's default histogram buckets (<c>stats_config</c> without <c>histogram_bucket_settings</c>),
    /// which Istio's sidecars use for istio_request_duration_milliseconds, istio_request_bytes and
    /// istio_response_bytes alike unless a pod overrides them.
    /// </summary>
    public static readonly double[] EnvoyDefaultBuckets = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

    /// <summary>Bucket bounds as they appear in the <c>le</c> label, formatted once.</summary>
    private static readonly Dictionary<double[], string[]> BoundLabels = new(ReferenceEqualityComparer.Instance)
    {
        [EnvoyDefaultBuckets] = [.. EnvoyDefaultBuckets.Select(b => b.ToString(CultureInfo.InvariantCulture))],
    };

    private readonly long[] _buckets = new long[bounds.Length];
    private long _count;
    /// <summary>The sum in thousandths of the unit, so that it is kept in one interlocked integer.</summary>
    private long _sumMilli;

    public long Count => Interlocked.Read(ref _count);

    public void Record(double value)
    {
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sumMilli, (long)(value * 1000));
        for (var i = 0; i < bounds.Length; i++)
        {
            if (value <= bounds[i]) { Interlocked.Increment(ref _buckets[i]); return; }
        }
    }

    /// <summary>Writes <paramref name="name"/>_bucket (cumulative, then +Inf), _sum and _count with <paramref name="labels"/>.</summary>
    public void Write(StringBuilder o, string name, string labels)
    {
        var les = BoundLabels.TryGetValue(bounds, out var known) ? known : [.. bounds.Select(b => b.ToString(CultureInfo.InvariantCulture))];
        long cumulative = 0;
        for (var i = 0; i < bounds.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            o.Append(name).Append("_bucket{").Append(labels).Append(",le=\"").Append(les[i]).Append("\"} ").Append(cumulative).Append('\n');
        }
        var count = Count;
        o.Append(name).Append("_bucket{").Append(labels).Append(",le=\"+Inf\"} ").Append(count).Append('\n');
        o.Append(name).Append("_sum{").Append(labels).Append("} ")
         .Append((Interlocked.Read(ref _sumMilli) / 1000.0).ToString(CultureInfo.InvariantCulture)).Append('\n');
        o.Append(name).Append("_count{").Append(labels).Append("} ").Append(count).Append('\n');
    }
}

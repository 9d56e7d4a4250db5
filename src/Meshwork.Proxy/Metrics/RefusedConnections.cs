using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Meshwork.Proxy.Metrics;

/// <summary>
/// Downstream connections and requests this proxy refused before they reached the app or an upstream, by reason
/// (<see cref="Inbound.Protection.RefusalReason"/>) and source address: meshwork_refused_connections_total, the
/// one count of refusals (recorded by <see cref="Inbound.Protection.DownstreamRefusals"/>). A plaintext client of a
/// STRICT port is reset, so it never makes a request metric; this is where it shows. The table is bounded: once <see cref="MaxSeries"/> series
/// exist, new source addresses are counted under <see cref="OtherAddress"/>, so a scan of many
/// addresses cannot grow the exposition without limit.
/// </summary>
internal sealed class RefusedConnections
{
    public const int MaxSeries = 256;
    public const string OtherAddress = "other";
    public const string Metric = "meshwork_refused_connections_total";

    private readonly ConcurrentDictionary<Key, ProxyMetrics.StrongBox> _counts = new();

    private readonly record struct Key(string Reason, string SourceAddress, string Workload, string Namespace, int Port);

    /// <summary>Counts one refused connection from <paramref name="source"/> to <paramref name="port"/> of this workload.</summary>
    public void Record(string reason, IPAddress? source, string workload, string @namespace, int port)
    {
        // IPv4-mapped IPv6 (dual-stack sockets) is shown as the IPv4 address the client used.
        var address = source is null ? MetricLabels.Unknown : (source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source).ToString();
        var key = new Key(reason, address, workload, @namespace, port);
        if (!_counts.ContainsKey(key) && _counts.Count >= MaxSeries) key = key with { SourceAddress = OtherAddress };
        Interlocked.Increment(ref _counts.GetOrAdd(key, static _ => new ProxyMetrics.StrongBox()).Value);
    }

    /// <summary>The count for <paramref name="reason"/> from <paramref name="sourceAddress"/>, all ports together.</summary>
    public long Count(string reason, string sourceAddress) =>
        _counts.Where(kv => kv.Key.Reason == reason && kv.Key.SourceAddress == sourceAddress).Sum(kv => Interlocked.Read(ref kv.Value.Value));

    public void WritePrometheus(StringBuilder o)
    {
        o.Append("# TYPE ").Append(Metric).Append(" counter\n");
        foreach (var (key, box) in _counts.ToArray())
        {
            o.Append(Metric).Append('{').AppendLabel("reporter", "destination").Append(',')
             .AppendLabel("reason", key.Reason).Append(',')
             .AppendLabel("source_address", key.SourceAddress).Append(',')
             .AppendLabel("destination_workload", key.Workload).Append(',')
             .AppendLabel("destination_workload_namespace", key.Namespace).Append(',')
             .AppendLabel("destination_port", key.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
             .Append("} ").Append(Interlocked.Read(ref box.Value)).Append('\n');
        }
    }
}

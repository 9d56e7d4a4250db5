using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Meshwork.Proxy.MeshTls;

namespace Meshwork.Proxy.Metrics;

/// <summary>A handle on interned labels: what the hot path carries per connection.</summary>
internal readonly record struct LabelsHandle(int Id);

/// <summary>
/// Istio's standard metrics, kept by hand and rendered as Prometheus text. Recording is
/// allocation-free once a series exists: the key is a small struct over interned ids.
/// </summary>
internal sealed class ProxyMetrics
{
    /// <summary>Istio's default buckets for istio_request_duration_milliseconds, istio_request_bytes and istio_response_bytes.</summary>
    internal static readonly double[] DurationBuckets = Histogram.EnvoyDefaultBuckets;

    private readonly ConcurrentDictionary<MetricLabels, int> _labelIds = new();
    private readonly ConcurrentDictionary<int, (string Prefix, string Csp)> _labelPrefixes = new();
    private readonly ConcurrentDictionary<string, int> _flagIds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<int, string> _flags = new();
    private readonly ConcurrentDictionary<(int Labels, int Code, int Flags), RequestSeries> _requests = new();
    private readonly ConcurrentDictionary<(int Labels, int Flags), TcpSeries> _tcp = new();
    private readonly ConcurrentDictionary<(string Direction, string Result, string Reason), StrongBox> _handshakes = new();
    private readonly ConcurrentDictionary<(string Host, int Port, string Counter), StrongBox> _clusterSsl = new();
    private int _nextId;

    public Func<DateTimeOffset?>? CertificateNotAfter { get; set; }

    /// <summary>Inbound connections refused before HTTP, by reason and source address.</summary>
    public RefusedConnections Refused { get; } = new();
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public LabelsHandle Intern(MetricLabels labels)
    {
        if (_labelIds.TryGetValue(labels, out var id)) return new(id);
        lock (_labelIds)
        {
            if (_labelIds.TryGetValue(labels, out id)) return new(id);
            id = Interlocked.Increment(ref _nextId);
            _labelPrefixes[id] = (labels.RenderPrefix(), $"connection_security_policy=\"{labels.ConnectionSecurityPolicy}\"");
            _labelIds[labels] = id;
            return new(id);
        }
    }

    /// <summary>The id of <see cref="ResponseFlags.None"/>, what nearly every request has: no string hashing for it.</summary>
    private readonly int _noFlagsId;

    public ProxyMetrics() => _noFlagsId = AddFlags(ResponseFlags.None);

    private int FlagId(string flags)
    {
        if (ReferenceEquals(flags, ResponseFlags.None)) return _noFlagsId;
        return _flagIds.TryGetValue(flags, out var id) ? id : AddFlags(flags);
    }

    private int AddFlags(string flags)
    {
        int id;
        lock (_flagIds)
        {
            if (_flagIds.TryGetValue(flags, out id)) return id;
            id = _flagIds.Count + 1;
            _flags[id] = flags;
            _flagIds[flags] = id;
            return id;
        }
    }

    /// <summary>
    /// Records one request: istio_requests_total, its duration, and its body sizes as Istio counts them
    /// (bytes of the HTTP body relayed, headers excluded) for istio_request_bytes and istio_response_bytes.
    /// A reply the proxy gives itself reports the body it wrote.
    /// </summary>
    public void RecordRequest(LabelsHandle labels, int responseCode, string flags, double durationMs, long requestBytes, long responseBytes)
    {
        var series = _requests.GetOrAdd((labels.Id, responseCode, FlagId(flags)), static _ => new RequestSeries());
        series.Duration.Record(durationMs);
        series.RequestBytes.Record(Math.Max(0, requestBytes));
        series.ResponseBytes.Record(Math.Max(0, responseBytes));
    }

    public TcpConnectionRecorder OpenTcp(LabelsHandle labels)
    {
        var series = _tcp.GetOrAdd((labels.Id, FlagId(ResponseFlags.None)), static _ => new TcpSeries());
        Interlocked.Increment(ref series.Opened);
        return new TcpConnectionRecorder(this, labels, series);
    }

    internal void CloseTcp(LabelsHandle labels, TcpSeries opened, string flags, long sent, long received)
    {
        // Bytes and the close go to the series of the final flags; "opened" stays where it was counted.
        var series = flags == ResponseFlags.None ? opened : _tcp.GetOrAdd((labels.Id, FlagId(flags)), static _ => new TcpSeries());
        Interlocked.Add(ref series.Sent, sent);
        Interlocked.Add(ref series.Received, received);
        Interlocked.Increment(ref series.Closed);
    }

    /// <summary>Counts one handshake: <paramref name="failure"/> null for success, else its reason becomes the label.</summary>
    public void RecordHandshake(string direction, HandshakeFailure? failure)
    {
        var key = failure is { } f ? (direction, "failure", f.Label()) : (direction, "success", HandshakeFailureLabels.Success);
        var box = _handshakes.GetOrAdd(key, static _ => new StrongBox());
        Interlocked.Increment(ref box.Value);
    }

    /// <summary>
    /// Counts one TLS origination towards the upstream cluster <paramref name="host"/>:<paramref name="port"/>: in
    /// meshwork_tls_handshakes_total, and under the cluster's Envoy counter for <see cref="EnvoySslStats"/>.
    /// </summary>
    public void RecordOutboundHandshake(string host, int port, HandshakeFailure? failure)
    {
        RecordHandshake("outbound", failure);
        var counter = failure is { } f ? EnvoySslStats.CounterOf("failure", f.Label()) : EnvoySslStats.CounterOf("success", HandshakeFailureLabels.Success);
        var box = _clusterSsl.GetOrAdd((host, port, counter), static _ => new StrongBox());
        Interlocked.Increment(ref box.Value);
    }

    /// <summary>Every upstream cluster's Envoy ssl counter that has counted: host, port, counter name and count.</summary>
    public IEnumerable<(string Host, int Port, string Counter, long Count)> ClusterSsl() =>
        _clusterSsl.ToArray().Select(kv => (kv.Key.Host, kv.Key.Port, kv.Key.Counter, Interlocked.Read(ref kv.Value.Value)));

    /// <summary>Every handshake counter: direction, result, reason label and count.</summary>
    public IEnumerable<(string Direction, string Result, string Reason, long Count)> Handshakes() =>
        _handshakes.ToArray().Select(kv => (kv.Key.Direction, kv.Key.Result, kv.Key.Reason, Interlocked.Read(ref kv.Value.Value)));

    public long HandshakeCount(string direction, bool success) =>
        _handshakes.Where(kv => kv.Key.Direction == direction && kv.Key.Result == (success ? "success" : "failure")).Sum(kv => Interlocked.Read(ref kv.Value.Value));

    public void WritePrometheus(StringBuilder o)
    {
        var requests = _requests.ToArray();
        o.Append("# TYPE istio_requests_total counter\n");
        foreach (var (key, s) in requests)
            o.Append("istio_requests_total{").Append(RequestLabels(key)).Append("} ").Append(s.Count).Append('\n');

        o.Append("# TYPE istio_request_duration_milliseconds histogram\n");
        foreach (var (key, s) in requests) s.Duration.Write(o, "istio_request_duration_milliseconds", RequestLabels(key));
        o.Append("# TYPE istio_request_bytes histogram\n");
        foreach (var (key, s) in requests) s.RequestBytes.Write(o, "istio_request_bytes", RequestLabels(key));
        o.Append("# TYPE istio_response_bytes histogram\n");
        foreach (var (key, s) in requests) s.ResponseBytes.Write(o, "istio_response_bytes", RequestLabels(key));

        var tcp = _tcp.ToArray();
        WriteTcp(o, "istio_tcp_connections_opened_total", tcp, s => Interlocked.Read(ref s.Opened));
        WriteTcp(o, "istio_tcp_connections_closed_total", tcp, s => Interlocked.Read(ref s.Closed));
        WriteTcp(o, "istio_tcp_sent_bytes_total", tcp, s => Interlocked.Read(ref s.Sent));
        WriteTcp(o, "istio_tcp_received_bytes_total", tcp, s => Interlocked.Read(ref s.Received));

        o.Append("# TYPE meshwork_tls_handshakes_total counter\n");
        foreach (var (key, box) in _handshakes.ToArray())
            o.Append("meshwork_tls_handshakes_total{direction=\"").Append(key.Direction).Append("\",result=\"").Append(key.Result)
             .Append("\",reason=\"").Append(key.Reason).Append("\"} ").Append(Interlocked.Read(ref box.Value)).Append('\n');

        Refused.WritePrometheus(o);

        o.Append("# TYPE meshwork_gc_allocated_bytes_total counter\n");
        o.Append("meshwork_gc_allocated_bytes_total ").Append(GC.GetTotalAllocatedBytes(precise: false)).Append('\n');
        var gc = GC.GetGCMemoryInfo();
        o.Append("# TYPE meshwork_gc_heap_bytes gauge\n");
        o.Append("meshwork_gc_heap_bytes ").Append(gc.HeapSizeBytes).Append('\n');
        // What the GC holds from the system (resident once touched), beside what its objects use: the rest of a
        // sidecar's anonymous memory is native (TLS, sockets, thread stacks).
        o.Append("# TYPE meshwork_gc_committed_bytes gauge\n");
        o.Append("meshwork_gc_committed_bytes ").Append(gc.TotalCommittedBytes).Append('\n');
        // Collections by generation and the time the proxy stood still in them: what the collector adds to a request's
        // latency, which the allocation counter alone does not tell. As GC.CollectionCount counts them, a collection of
        // generation 2 counts for generations 0 and 1 too.
        o.Append("# TYPE meshwork_gc_collections_total counter\n");
        for (var generation = 0; generation <= GC.MaxGeneration; generation++)
            o.Append("meshwork_gc_collections_total{generation=\"").Append(generation).Append("\"} ").Append(GC.CollectionCount(generation)).Append('\n');
        o.Append("# TYPE meshwork_gc_pause_seconds_total counter\n");
        o.Append("meshwork_gc_pause_seconds_total ")
         .Append(GC.GetTotalPauseDuration().TotalSeconds.ToString("0.######", CultureInfo.InvariantCulture)).Append('\n');

        if (CertificateNotAfter?.Invoke() is { } notAfter)
        {
            o.Append("# TYPE meshwork_cert_expiry_seconds gauge\n");
            o.Append("meshwork_cert_expiry_seconds ")
             .Append(Math.Round((notAfter - Time.GetUtcNow()).TotalSeconds).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    private void WriteTcp(StringBuilder o, string name, KeyValuePair<(int Labels, int Flags), TcpSeries>[] tcp, Func<TcpSeries, long> value)
    {
        o.Append("# TYPE ").Append(name).Append(" counter\n");
        foreach (var (key, s) in tcp)
        {
            var (prefix, csp) = SplitPrefix(key.Labels);
            o.Append(name).Append('{').Append(prefix).Append(",response_flags=\"").Append(_flags[key.Flags])
             .Append("\",").Append(csp).Append("} ").Append(value(s)).Append('\n');
        }
    }

    private string RequestLabels((int Labels, int Code, int Flags) key)
    {
        var (prefix, csp) = SplitPrefix(key.Labels);
        return $"{prefix},response_code=\"{key.Code}\",grpc_response_status=\"\",response_flags=\"{_flags[key.Flags]}\",{csp}";
    }

    private (string Prefix, string Csp) SplitPrefix(int labelsId)
    {
        return _labelPrefixes[labelsId];
    }

    internal sealed class RequestSeries
    {
        public readonly Histogram Duration = new(DurationBuckets);
        public readonly Histogram RequestBytes = new(Histogram.EnvoyDefaultBuckets);
        public readonly Histogram ResponseBytes = new(Histogram.EnvoyDefaultBuckets);

        public long Count => Duration.Count;
    }

    internal sealed class TcpSeries
    {
        public long Opened, Closed, Sent, Received;
    }

    internal sealed class StrongBox { public long Value; }
}

/// <summary>Counts one TCP connection's bytes; reports them once when the connection closes.</summary>
internal sealed class TcpConnectionRecorder
{
    private readonly ProxyMetrics _metrics;
    private readonly LabelsHandle _labels;
    private readonly ProxyMetrics.TcpSeries _series;
    private int _closed;
    public long Sent;
    public long Received;

    internal TcpConnectionRecorder(ProxyMetrics metrics, LabelsHandle labels, ProxyMetrics.TcpSeries series)
    {
        _metrics = metrics; _labels = labels; _series = series;
    }

    public void Close(string flags = ResponseFlags.None)
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
            _metrics.CloseTcp(_labels, _series, flags, Interlocked.Read(ref Sent), Interlocked.Read(ref Received));
    }
}

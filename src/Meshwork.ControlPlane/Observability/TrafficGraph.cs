using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Meshwork.ControlPlane.Observability;

public sealed record GraphNode(string Id, string Kind, string Name, string Namespace);

/// <summary>Traffic over the window: requests per second, the share of 5xx, and the share carried over mutual TLS.</summary>
public sealed record GraphEdge(string Source, string Target, double RequestsPerSecond, double ErrorRatio, double MtlsRatio)
{
    /// <summary>Kiali's padlock: some of the edge's requests used mutual TLS.</summary>
    public bool Padlock => MtlsRatio > 0;

    /// <summary>Connections per second the target refused before HTTP (a refused edge, from <see cref="TrafficGraph.UnknownNode"/>); 0 on a traffic edge.</summary>
    public double RefusedPerSecond { get; init; }

    /// <summary>On a refused edge: the address the refused connections came from.</summary>
    public string? SourceAddress { get; init; }

    /// <summary>On a refused edge: why the target refused them ("plaintext_on_strict", "tls_untrusted_chain", …).</summary>
    public string? RefusedReason { get; init; }

    public bool Refused => RefusedPerSecond > 0;
}

/// <param name="Source">Where the counts came from: "prometheus", or "proxies" (the control plane's own samples).</param>
public sealed record TrafficGraph(DateTimeOffset From, DateTimeOffset To, ImmutableArray<GraphNode> Nodes, ImmutableArray<GraphEdge> Edges, string Source)
{
    public const string FromPrometheus = "prometheus";
    public const string FromProxies = "proxies";

    public const string Path = "/meshwork/v1/graph";

    /// <summary>The node for callers without a sidecar (no peer metadata), as Kiali draws it.</summary>
    public const string UnknownNode = "unknown";

    /// <summary>
    /// The graph of what the destinations counted over <paramref name="window"/> (samples, oldest first), as
    /// <see cref="Over(TrafficWindow?, string?)"/> reads the same samples from a ring.
    /// </summary>
    public static TrafficGraph? Over(IReadOnlyList<TrafficSample> window, string? @namespace, Func<string, string, bool>? hasSidecar = null)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (window.Count == 0) return null;
        var ring = new TrafficRing(window.Count);
        foreach (var sample in window) ring.Add(sample);
        return Over(ring.Window(DateTimeOffset.MinValue), @namespace, hasSidecar);
    }

    /// <summary>
    /// The graph of what the destinations counted over <paramref name="window"/>:
    /// workload → service → workload, with callers the destination could not name collapsed into
    /// <see cref="UnknownNode"/>. Each proxy's traffic is measured from the first sample that has it to
    /// the last one, as Prometheus's rate() measures a series; a counter lower than before means the
    /// proxy restarted, so its whole value is new traffic. <paramref name="namespace"/> keeps edges
    /// with either end in it (null: all). Null when the window holds fewer than two samples.
    /// <paramref name="hasSidecar"/> is as for <see cref="Of"/>.
    /// </summary>
    public static TrafficGraph? Over(TrafficWindow? window, string? @namespace, Func<string, string, bool>? hasSidecar = null)
    {
        if (window is null || window.Samples < 2) return null;
        var deltas = Increase(window.Requests, static (now, then) =>
            now.Requests >= then.Requests ? new EdgeCounters(now.Requests - then.Requests, Math.Max(0, now.Errors - then.Errors)) : now,
            static (a, b) => a + b, static d => d.Requests > 0);
        var refused = Increase(window.Refused, static (now, then) => now >= then ? now - then : now, static (a, b) => a + b, static d => d > 0);
        return Of(deltas, window.From, window.To, @namespace, FromProxies, refused, hasSidecar);
    }

    /// <summary>
    /// Each proxy's counters from the first sample that has the proxy to the last one, summed over proxies;
    /// <paramref name="delta"/> treats a counter lower than before as a restart.
    /// </summary>
    private static Dictionary<TKey, TValue> Increase<TKey, TValue>(ImmutableArray<CounterSpan<TKey, TValue>> spans,
        Func<TValue, TValue, TValue> delta, Func<TValue, TValue, TValue> add, Func<TValue, bool> counts)
        where TKey : notnull where TValue : struct
    {
        var sums = new Dictionary<TKey, TValue>();
        foreach (var (before, after) in spans)
        {
            foreach (var (key, now) in after)
            {
                var change = delta(now, before.GetValueOrDefault(key));
                if (counts(change)) sums[key] = sums.TryGetValue(key, out var sum) ? add(sum, change) : change;
            }
        }
        return sums;
    }

    /// <summary>
    /// The graph of <paramref name="deltas"/>, the requests each edge carried between <paramref name="from"/>
    /// and <paramref name="to"/>: workload → service → workload, callers the destination could not name
    /// collapsed into <see cref="UnknownNode"/>, only edges with an end in <paramref name="namespace"/> (null: all).
    /// </summary>
    /// <remarks>
    /// <paramref name="refused"/>, the connections each destination refused before HTTP, become refused edges from
    /// <see cref="UnknownNode"/> straight to the workload (no service: nothing was routed), one per source address and reason.
    /// <paramref name="hasSidecar"/> (namespace, workload) says whether a workload's own sidecar reports its inbound
    /// requests. Edges the callers reported (<see cref="EdgeKey.BySource"/>) are drawn only into workloads without one,
    /// as Kiali draws them from the caller's telemetry: elsewhere the destination's count is the edge, and the caller's
    /// would count it twice. Null: no caller-reported edge is drawn.
    /// </remarks>
    public static TrafficGraph Of(IReadOnlyDictionary<EdgeKey, EdgeCounters> deltas, DateTimeOffset from, DateTimeOffset to, string? @namespace, string source,
        IReadOnlyDictionary<RefusedKey, double>? refused = null, Func<string, string, bool>? hasSidecar = null)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        var seconds = Math.Max(1, (to - from).TotalSeconds);
        var nodes = new SortedDictionary<string, GraphNode>(StringComparer.Ordinal);
        var traffic = new Dictionary<(string Source, string Target), (double Requests, double Errors, double Mtls)>();
        foreach (var (key, delta) in deltas)
        {
            if (delta.Requests <= 0) continue;
            if (key.BySource && (hasSidecar is null || hasSidecar(key.DestinationNamespace, key.DestinationWorkload))) continue;
            if (@namespace is not null && key.SourceNamespace != @namespace && key.DestinationNamespace != @namespace) continue;
            var caller = key.SourceWorkload == "unknown"
                ? Add(nodes, new GraphNode(UnknownNode, "unknown", UnknownNode, ""))
                : Add(nodes, new GraphNode($"workload:{key.SourceNamespace}/{key.SourceWorkload}", "workload", key.SourceWorkload, key.SourceNamespace));
            var service = Add(nodes, new GraphNode($"service:{key.DestinationService}", "service", ServiceName(key.DestinationService), key.DestinationNamespace));
            var mtls = key.SecurityPolicy == "mutual_tls" ? delta.Requests : 0;
            // A caller that could not name the workload behind the service (no endpoint metadata) draws its edge to the service only.
            var hops = key.BySource && key.DestinationWorkload == "unknown"
                ? new[] { (caller, service) }
                : [(caller, service), (service, Add(nodes, new GraphNode($"workload:{key.DestinationNamespace}/{key.DestinationWorkload}", "workload", key.DestinationWorkload, key.DestinationNamespace)))];
            foreach (var hop in hops)
            {
                var sum = traffic.GetValueOrDefault(hop);
                traffic[hop] = (sum.Requests + delta.Requests, sum.Errors + delta.Errors, sum.Mtls + mtls);
            }
        }
        var refusedEdges = new List<GraphEdge>();
        foreach (var (key, count) in refused ?? new Dictionary<RefusedKey, double>())
        {
            if (count <= 0 || (@namespace is not null && key.DestinationNamespace != @namespace)) continue;
            var caller = Add(nodes, new GraphNode(UnknownNode, "unknown", UnknownNode, ""));
            var destination = Add(nodes, new GraphNode($"workload:{key.DestinationNamespace}/{key.DestinationWorkload}", "workload", key.DestinationWorkload, key.DestinationNamespace));
            refusedEdges.Add(new GraphEdge(caller, destination, 0, 0, 0) { RefusedPerSecond = count / seconds, SourceAddress = key.SourceAddress, RefusedReason = key.Reason });
        }
        var edges = traffic
            .OrderBy(t => t.Key.Source, StringComparer.Ordinal).ThenBy(t => t.Key.Target, StringComparer.Ordinal)
            .Select(t => new GraphEdge(t.Key.Source, t.Key.Target, t.Value.Requests / seconds, t.Value.Errors / t.Value.Requests, t.Value.Mtls / t.Value.Requests))
            .Concat(refusedEdges.OrderBy(e => e.Target, StringComparer.Ordinal).ThenBy(e => e.SourceAddress, StringComparer.Ordinal).ThenBy(e => e.RefusedReason, StringComparer.Ordinal))
            .ToImmutableArray();
        return new TrafficGraph(from, to, [.. nodes.Values], edges, source);
    }

    private static string Add(SortedDictionary<string, GraphNode> nodes, GraphNode node)
    {
        nodes.TryAdd(node.Id, node);
        return node.Id;
    }

    /// <summary>"httpbin.foo.svc.cluster.local" → "httpbin".</summary>
    private static string ServiceName(string host) => host.Split('.')[0];
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(TrafficGraph))]
public sealed partial class TrafficGraphJson : JsonSerializerContext;

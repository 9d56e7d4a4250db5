using System.Collections.Immutable;
using Meshwork.ControlPlane.Observability;

namespace Meshwork.ControlPlane.Tests.Observability;

/// <summary>The traffic graph from the counters the destinations report: rates over a window, padlocks, the unknown caller.</summary>
public sealed class TrafficGraphTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static string Series(string sourceWorkload, string sourceNs, string csp, int code, double value, string reporter = "destination") =>
        $"istio_requests_total{{reporter=\"{reporter}\",source_workload=\"{sourceWorkload}\",source_workload_namespace=\"{sourceNs}\"," +
        "destination_workload=\"httpbin\",destination_workload_namespace=\"foo\",destination_service=\"httpbin.foo.svc.cluster.local\"," +
        $"request_protocol=\"http\",response_code=\"{code}\",grpc_response_status=\"\",response_flags=\"-\",connection_security_policy=\"{csp}\"}} {value}\n";

    private static TrafficSample Sample(int seconds, params (string Proxy, string Exposition)[] proxies) => new(
        T0.AddSeconds(seconds),
        proxies.ToImmutableDictionary(p => p.Proxy, p => RequestCounters.Parse(p.Exposition)));

    [Fact]
    public void Source_series_are_kept_apart_from_destination_series_and_5xx_are_errors()
    {
        var edges = RequestCounters.Parse(
            "# TYPE istio_requests_total counter\n" +
            Series("sleep", "foo", "mutual_tls", 200, 7) +
            Series("sleep", "foo", "mutual_tls", 503, 3) +
            Series("sleep", "foo", "unknown", 200, 100, reporter: "source") +
            Series("sleep", "foo", "unknown", 200, 1, reporter: "other") +
            "istio_requests_total{reporter=\"destination\",source_workload=\"broken} 5\n" +
            "istio_requests_total{reporter=\"destination\"} not-a-number\n");
        Assert.Equal(2, edges.Count);
        Assert.Equal(new EdgeCounters(10, 3), edges[new EdgeKey("sleep", "foo", "httpbin", "foo", "httpbin.foo.svc.cluster.local", "mutual_tls")]);
        Assert.Equal(new EdgeCounters(100, 0), edges[new EdgeKey("sleep", "foo", "httpbin", "foo", "httpbin.foo.svc.cluster.local", "unknown") { BySource = true }]);
    }

    [Fact]
    public void A_workload_without_a_sidecar_gets_its_edge_and_5xx_from_the_caller_and_a_sidecar_workload_is_not_counted_twice()
    {
        TrafficSample[] window = [
            Sample(0, ("gateway", Series("istio-ingressgateway", "istio-system", "unknown", 200, 10, reporter: "source"))),
            Sample(10, ("gateway", Series("istio-ingressgateway", "istio-system", "unknown", 200, 14, reporter: "source")
                + Series("istio-ingressgateway", "istio-system", "unknown", 500, 6, reporter: "source"))),
        ];
        var graph = TrafficGraph.Over(window, null, hasSidecar: (_, _) => false)!;
        var fromGateway = graph.Edges.Single(e => e.Source == "workload:istio-system/istio-ingressgateway");
        Assert.Equal(("service:httpbin.foo.svc.cluster.local", 1.0, 0.6, false), (fromGateway.Target, fromGateway.RequestsPerSecond, fromGateway.ErrorRatio, fromGateway.Padlock));
        Assert.Contains(graph.Edges, e => e.Source == "service:httpbin.foo.svc.cluster.local" && e.Target == "workload:foo/httpbin" && e.ErrorRatio == 0.6);

        // httpbin's own sidecar reports these requests as destination: the caller's count is not drawn.
        Assert.Empty(TrafficGraph.Over(window, null, hasSidecar: (ns, workload) => (ns, workload) == ("foo", "httpbin"))!.Edges);
        Assert.Empty(TrafficGraph.Over(window, null)!.Edges);
    }

    [Fact]
    public void Edges_carry_rates_over_the_window_a_padlock_when_mutual_TLS_and_none_for_the_plaintext_caller()
    {
        var graph = TrafficGraph.Over([
            Sample(0, ("httpbin-1.foo", Series("sleep", "foo", "mutual_tls", 200, 100) + Series("unknown", "unknown", "none", 200, 50))),
            Sample(10, ("httpbin-1.foo", Series("sleep", "foo", "mutual_tls", 200, 120) + Series("sleep", "foo", "mutual_tls", 500, 5) + Series("unknown", "unknown", "none", 200, 60))),
        ], null)!;

        Assert.Equal(["service:httpbin.foo.svc.cluster.local", "unknown", "workload:foo/httpbin", "workload:foo/sleep"], graph.Nodes.Select(n => n.Id));
        var fromSleep = graph.Edges.Single(e => e.Source == "workload:foo/sleep");
        Assert.Equal((2.5, 0.2, true), (fromSleep.RequestsPerSecond, fromSleep.ErrorRatio, fromSleep.Padlock));
        var fromUnknown = graph.Edges.Single(e => e.Source == TrafficGraph.UnknownNode);
        Assert.Equal((1.0, 0.0, false), (fromUnknown.RequestsPerSecond, fromUnknown.ErrorRatio, fromUnknown.Padlock));
        var toWorkload = graph.Edges.Single(e => e.Target == "workload:foo/httpbin");
        // The service → workload hop carries both callers: 25 of its 35 requests used mutual TLS.
        Assert.Equal(3.5, toWorkload.RequestsPerSecond);
        Assert.Equal(25.0 / 35, toWorkload.MtlsRatio, 9);
        Assert.True(toWorkload.Padlock);
    }

    private static string Refused(string address, double value, string reason = "plaintext_on_strict") =>
        $"meshwork_refused_connections_total{{reporter=\"destination\",reason=\"{reason}\",source_address=\"{address}\"," +
        $"destination_workload=\"httpbin\",destination_workload_namespace=\"foo\",destination_port=\"8000\"}} {value}\n";

    private static TrafficSample WithRefused(int seconds, string proxy, string exposition) =>
        Sample(seconds, (proxy, exposition)) with { RefusedByProxy = ImmutableDictionary<string, IReadOnlyDictionary<RefusedKey, double>>.Empty.Add(proxy, RefusedCounters.Parse(exposition)) };

    [Fact]
    public void Connections_refused_in_the_window_are_a_refused_edge_from_unknown_per_address_and_a_quiet_address_has_none()
    {
        var graph = TrafficGraph.Over([
            WithRefused(0, "httpbin-1.foo", Series("sleep", "foo", "mutual_tls", 200, 10) + Refused("127.0.0.9", 3) + Refused("127.0.0.10", 7)),
            WithRefused(10, "httpbin-1.foo", Series("sleep", "foo", "mutual_tls", 200, 20) + Refused("127.0.0.9", 8) + Refused("127.0.0.10", 7)),
        ], "foo")!;

        var refused = Assert.Single(graph.Edges, e => e.Refused);
        Assert.Equal((TrafficGraph.UnknownNode, "workload:foo/httpbin", "127.0.0.9", "plaintext_on_strict", 0.5, false),
            (refused.Source, refused.Target, refused.SourceAddress, refused.RefusedReason, refused.RefusedPerSecond, refused.Padlock));
        Assert.Contains(graph.Nodes, n => n.Id == TrafficGraph.UnknownNode);
        Assert.All(graph.Edges.Where(e => !e.Refused), e => Assert.True(e.Padlock));
        Assert.Empty(TrafficGraph.Over([WithRefused(0, "p", Refused("127.0.0.9", 3)), WithRefused(10, "p", Refused("127.0.0.9", 8))], "bar")!.Edges);
    }

    [Fact]
    public void A_restarted_proxy_counts_from_zero_and_a_proxy_first_seen_mid_window_from_its_first_sample()
    {
        var graph = TrafficGraph.Over([
            Sample(0, ("httpbin-1.foo", Series("sleep", "foo", "mutual_tls", 200, 500))),
            Sample(10, ("httpbin-1.foo", Series("sleep", "foo", "mutual_tls", 200, 4)), ("httpbin-2.foo", Series("sleep", "foo", "mutual_tls", 200, 1000))),
            Sample(20, ("httpbin-1.foo", Series("sleep", "foo", "mutual_tls", 200, 10)), ("httpbin-2.foo", Series("sleep", "foo", "mutual_tls", 200, 1010))),
        ], null)!;
        // httpbin-1 restarted (10 since), httpbin-2 counted 10 between its samples: 20 requests in 20 s.
        Assert.Equal(1.0, graph.Edges.Single(e => e.Source == "workload:foo/sleep").RequestsPerSecond);
    }

    [Fact]
    public void The_namespace_filter_keeps_edges_with_either_end_in_it()
    {
        TrafficSample[] window = [
            Sample(0, ("httpbin-1.foo", Series("sleep", "bar", "mutual_tls", 200, 0))),
            Sample(10, ("httpbin-1.foo", Series("sleep", "bar", "mutual_tls", 200, 10))),
        ];
        Assert.NotEmpty(TrafficGraph.Over(window, "bar")!.Edges);
        Assert.NotEmpty(TrafficGraph.Over(window, "foo")!.Edges);
        Assert.Empty(TrafficGraph.Over(window, "legacy")!.Edges);
        Assert.Null(TrafficGraph.Over(window[..1], null));
    }

    [Fact]
    public void The_ring_keeps_the_newest_samples_and_answers_a_window_oldest_first()
    {
        var ring = new TrafficRing(3);
        for (var i = 0; i < 5; i++) ring.Add(Sample(i * 10));
        Assert.Equal([20, 30, 40], ring.Since(T0).Select(s => (int)(s.At - T0).TotalSeconds));
        Assert.Equal([30, 40], ring.Since(T0.AddSeconds(25)).Select(s => (int)(s.At - T0).TotalSeconds));
    }

    [Theory]
    [InlineData("", 600)]
    [InlineData("1m", 60)]
    [InlineData("10m", 600)]
    [InlineData("1h", 3600)]
    [InlineData("90", 90)]
    public void Windows_from_a_minute_to_an_hour_are_accepted(string text, int seconds)
    {
        Assert.True(ObservabilityServices.TryParseWindow(text, out var window));
        Assert.Equal(TimeSpan.FromSeconds(seconds), window);
    }

    [Theory]
    [InlineData("30s")]
    [InlineData("2h")]
    [InlineData("10d")]
    [InlineData("-5m")]
    [InlineData("m")]
    [InlineData("1e3")]
    public void Other_windows_are_refused(string text) => Assert.False(ObservabilityServices.TryParseWindow(text, out _));
}

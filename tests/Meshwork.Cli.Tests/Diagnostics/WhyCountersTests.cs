using Meshwork.Cli.Commands.Diagnostics;
using Meshwork.Policy.Why;

namespace Meshwork.Cli.Tests.Diagnostics;

/// <summary>
/// What `x why` reads out of a sidecar's /stats/prometheus, in the exposition the proxy writes: one call's requests by
/// code and flags, from the client's side (reporter="source") and the endpoint's (reporter="destination").
/// </summary>
public sealed class WhyCountersTests
{
    private const string Client = "source_workload=\"sleep\",source_workload_namespace=\"foo\"";

    private static string Requests(string reporter, string source, string service, int code, string flags, long count) =>
        $"istio_requests_total{{reporter=\"{reporter}\",{source},destination_service=\"{service}\",response_code=\"{code}\",grpc_response_status=\"\",response_flags=\"{flags}\",connection_security_policy=\"unknown\"}} {count}\n";

    private static readonly string Exposition =
        "# TYPE istio_requests_total counter\n"
        + Requests("source", Client, "httpbin.foo.svc.cluster.local", 503, "UF,URX", 3)
        + Requests("source", Client, "httpbin.foo.svc.cluster.local", 200, "-", 2)
        + Requests("source", Client, "other.foo.svc.cluster.local", 504, "UT", 9)
        + Requests("destination", Client, "httpbin.foo.svc.cluster.local", 503, "UF", 4)
        + Requests("destination", "source_workload=\"sleep\",source_workload_namespace=\"bar\"", "httpbin.foo.svc.cluster.local", 503, "UC", 7)
        + "istio_requests_total{reporter=\"source\",destination_service=\"httpbin.foo.svc.cluster.local\",response_code=\"x\",response_flags=\"UH\"} 5\n"
        + "istio_tcp_connections_closed_total{reporter=\"source\",destination_service=\"db.foo.svc.cluster.local\",response_flags=\"UF\"} 6\n";

    [Fact]
    public void The_clients_counters_are_those_towards_the_service_by_code_and_flags()
    {
        Assert.Equal([new ObservedCalls(200, "-", 2), new ObservedCalls(503, "UF,URX", 3)],
            ObservedCallMetrics.ToService(Exposition, tcp: false, "httpbin.foo.svc.cluster.local").ToArray());
    }

    [Fact]
    public void The_endpoints_counters_are_those_from_the_clients_workload()
    {
        Assert.Equal([new ObservedCalls(503, "UF", 4)], ObservedCallMetrics.FromWorkload(Exposition, tcp: false, "sleep", "foo").ToArray());
    }

    [Fact]
    public void A_tcp_service_is_read_from_its_closed_connections()
    {
        Assert.Equal([new ObservedCalls(0, "UF", 6)], ObservedCallMetrics.ToService(Exposition, tcp: true, "db.foo.svc.cluster.local").ToArray());
        Assert.Empty(ObservedCallMetrics.ToService(Exposition, tcp: false, "db.foo.svc.cluster.local"));
    }
}

using System.Globalization;
using System.Text;

/// <summary>
/// The dashboard's benchmark mesh: 200 workloads (one sidecar each, a Service each) over 10 namespaces, and 800
/// caller → destination pairs, so 1,000 graph edges (800 caller → service, 200 service → workload), half of the callers
/// on mTLS. Each destination's sidecar reports its inbound requests in Istio's exposition, with every label Istio sets.
/// </summary>
internal static class SyntheticTraffic
{
    public const int Workloads = 200, CallerEdges = 800, Namespaces = 10;

    /// <summary>The edges the graph draws for this mesh.</summary>
    public const int GraphEdges = CallerEdges + Workloads;

    public static string Name(int workload) => $"app-{workload:D3}";

    public static string Namespace(int workload) => $"ns-{workload % Namespaces}";

    /// <summary>Each destination workload's callers: <see cref="CallerEdges"/> distinct (caller, destination) pairs.</summary>
    private static readonly List<int>[] Callers = BuildCallers();

    private static List<int>[] BuildCallers()
    {
        var callers = Enumerable.Range(0, Workloads).Select(_ => new List<int>()).ToArray();
        for (var e = 0; e < CallerEdges; e++) callers[e % Workloads].Add((e * 7 + e / Workloads + 1) % Workloads);
        return callers;
    }

    /// <summary>
    /// What <paramref name="destination"/>'s sidecar serves on /stats/prometheus after <paramref name="tick"/> seconds:
    /// each caller's requests, one in twenty of them a 503.
    /// </summary>
    public static string Exposition(int destination, long tick)
    {
        var o = new StringBuilder();
        o.Append("# TYPE istio_requests_total counter\n");
        var (name, ns) = (Name(destination), Namespace(destination));
        foreach (var caller in Callers[destination])
        {
            var csp = caller % 2 == 0 ? "mutual_tls" : "none";
            var (from, fromNs) = (Name(caller), Namespace(caller));
            foreach (var (code, share) in new[] { (200, 19L), (503, 1L) })
            {
                o.Append(CultureInfo.InvariantCulture, $"istio_requests_total{{reporter=\"destination\",source_workload=\"{from}\",source_canonical_service=\"{from}\",source_canonical_revision=\"latest\",source_workload_namespace=\"{fromNs}\",source_principal=\"spiffe://cluster.local/ns/{fromNs}/sa/{from}\",source_app=\"{from}\",source_version=\"v1\",source_cluster=\"Kubernetes\",")
                 .Append(CultureInfo.InvariantCulture, $"destination_workload=\"{name}\",destination_workload_namespace=\"{ns}\",destination_principal=\"spiffe://cluster.local/ns/{ns}/sa/{name}\",destination_app=\"{name}\",destination_version=\"v1\",destination_service=\"{name}.{ns}.svc.cluster.local\",destination_canonical_service=\"{name}\",destination_canonical_revision=\"latest\",destination_service_name=\"{name}\",destination_service_namespace=\"{ns}\",destination_cluster=\"Kubernetes\",")
                 .Append(CultureInfo.InvariantCulture, $"request_protocol=\"http\",response_code=\"{code}\",grpc_response_status=\"\",response_flags=\"-\",connection_security_policy=\"{csp}\"}} {tick * share}\n");
            }
        }
        return o.ToString();
    }
}

using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound;

/// <summary>Source-reporter labels: this workload as source, the chosen endpoint as destination.</summary>
internal static class OutboundLabels
{
    public static MetricLabels For(ActiveConfig config, RouteTarget? target, UpstreamEndpoint? endpoint, bool tcp)
    {
        var node = config.Snapshot.Node;
        string? destinationPrincipal = null;
        if (endpoint is { Tls: UpstreamTlsMode.IstioMutual, Namespace: { } ns, ServiceAccount: { } sa } && target is not null)
        {
            var suffix = $"/ns/{ns}/sa/{sa}";
            foreach (var id in target.Port.AcceptedIdentities)
                if (id.EndsWith(suffix, StringComparison.Ordinal)) { destinationPrincipal = id; break; }
        }
        return new MetricLabels
        {
            Reporter = "source",
            SourceWorkload = node.Workload,
            SourceCanonicalService = node.CanonicalService ?? node.App ?? node.Workload,
            SourceWorkloadNamespace = node.Namespace,
            SourcePrincipal = node.SpiffeId ?? MetricLabels.Unknown,
            SourceApp = node.App ?? MetricLabels.Unknown,
            SourceVersion = node.Version ?? MetricLabels.Unknown,
            DestinationWorkload = endpoint?.Workload ?? MetricLabels.Unknown,
            DestinationWorkloadNamespace = endpoint?.Namespace ?? MetricLabels.Unknown,
            DestinationPrincipal = destinationPrincipal ?? MetricLabels.Unknown,
            DestinationService = target?.Service.Hostname ?? MetricLabels.Unknown,
            DestinationApp = endpoint?.App ?? MetricLabels.Unknown,
            DestinationVersion = endpoint?.Version ?? MetricLabels.Unknown,
            DestinationCanonicalService = endpoint?.App ?? endpoint?.Workload ?? target?.Service.Name ?? MetricLabels.Unknown,
            DestinationServiceName = target?.Service.Name ?? MetricLabels.Unknown,
            DestinationServiceNamespace = target?.Service.Namespace ?? MetricLabels.Unknown,
            RequestProtocol = tcp ? "tcp" : "http",
            ConnectionSecurityPolicy = "unknown",
        };
    }
}

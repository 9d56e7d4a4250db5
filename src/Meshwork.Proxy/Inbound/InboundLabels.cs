using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Inbound;

/// <summary>Destination-reporter labels for one inbound connection.</summary>
internal static class InboundLabels
{
    public static MetricLabels For(ActiveConfig config, InboundPort port, InboundTlsOutcome outcome, bool tcp)
    {
        var node = config.Snapshot.Node;
        var service = port.Services.IsDefaultOrEmpty ? null : port.Services[0];
        string? serviceName = null, serviceNamespace = null;
        if (service is not null)
        {
            var parts = service.Split('.');
            serviceName = parts[0];
            serviceNamespace = parts.Length > 1 ? parts[1] : node.Namespace;
        }
        var mutual = outcome as InboundTlsOutcome.Mutual;
        return new MetricLabels
        {
            Reporter = "destination",
            SourcePrincipal = mutual?.PeerSpiffeUri ?? MetricLabels.Unknown,
            SourceWorkloadNamespace = mutual?.PeerNamespace ?? MetricLabels.Unknown,
            DestinationWorkload = node.Workload,
            DestinationWorkloadNamespace = node.Namespace,
            DestinationPrincipal = node.SpiffeId ?? MetricLabels.Unknown,
            DestinationApp = node.App ?? MetricLabels.Unknown,
            DestinationVersion = node.Version ?? MetricLabels.Unknown,
            DestinationService = service ?? MetricLabels.Unknown,
            DestinationCanonicalService = node.CanonicalService ?? node.App ?? node.Workload,
            DestinationServiceName = serviceName ?? MetricLabels.Unknown,
            DestinationServiceNamespace = serviceNamespace ?? MetricLabels.Unknown,
            RequestProtocol = tcp ? "tcp" : "http",
            ConnectionSecurityPolicy = mutual is null ? "none" : "mutual_tls",
        };
    }
}

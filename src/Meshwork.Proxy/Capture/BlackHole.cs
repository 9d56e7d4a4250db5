using System.Net.Sockets;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// Istio's BlackHoleCluster (outboundTrafficPolicy REGISTRY_ONLY): traffic to a host outside the sidecar's
/// scope is refused, where ALLOW_ANY would pass it through. An HTTP request gets 502 (the outbound call's
/// no-route answer); any other connection is reset. Its metrics name the BlackHoleCluster as destination.
/// </summary>
internal sealed class BlackHole(ProxyMetrics metrics)
{
    public const string ClusterName = "BlackHoleCluster";

    /// <summary>True when this sidecar refuses what it was not told about.</summary>
    public static bool Applies(ActiveConfig config) => config.Snapshot.Scope?.Unlisted == UnlistedTraffic.BlackHole;

    /// <summary>The source-reporter labels of refused traffic.</summary>
    public static MetricLabels Labels(ActiveConfig config, bool tcp) =>
        OutboundLabels.For(config, null, null, tcp) with { DestinationService = ClusterName, DestinationServiceName = ClusterName };

    /// <summary>Counts the connection as opened and closed by the BlackHoleCluster, then resets it.</summary>
    public void RefuseTcp(Socket socket, ActiveConfig config)
    {
        metrics.OpenTcp(metrics.Intern(Labels(config, tcp: true))).Close(ResponseFlags.NoRoute);
        ConnectionReset.Reset(socket);
    }
}

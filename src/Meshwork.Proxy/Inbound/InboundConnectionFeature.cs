using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Inbound;

/// <summary>What the inbound connection middlewares established, published for the HTTP stage.</summary>
internal sealed class InboundConnectionFeature
{
    public required InboundTarget Target { get; init; }
    public required InboundPort Port { get; init; }
    public required ActiveConfig Config { get; init; }
    public required InboundTlsOutcome Tls { get; init; }
    /// <summary>The XFCC value for requests on this connection (mTLS only).</summary>
    public string? ForwardedClientCert { get; init; }
    public required LabelsHandle Labels { get; init; }
    /// <summary>The labels the handle was made from, to add the peer's workload once its metadata arrives.</summary>
    public required MetricLabels BaseLabels { get; init; }
    /// <summary>Labels with the peer's workload, set by the first mTLS request that carries peer metadata.</summary>
    public LabelsHandle? PeerLabels { get; set; }
    /// <summary>The connection's pending slot, given back when its first request head is complete.</summary>
    public Protection.PendingConnections.Slot? Pending { get; init; }
    /// <summary>The HTTP/1.1 request the gate reads, reused for every request of the connection.</summary>
    public Forwarding.Http1InboundRequest Http1Request { get; } = new();
}

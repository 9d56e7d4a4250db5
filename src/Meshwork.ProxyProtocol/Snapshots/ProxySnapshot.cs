using System.Collections.Immutable;
using Meshwork.ProxyProtocol.Authorization;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>What a proxy is: a sidecar next to one workload, an ingress gateway, or the plain network
/// (the kube-proxy stand-in for pods without a sidecar: plaintext only, no identity).</summary>
public enum ProxyRole { Sidecar, Gateway, Network }

/// <summary>Inbound mTLS mode after PeerAuthentication precedence; never "unset".</summary>
public enum InboundTlsMode { Permissive, Strict, Disable }

/// <summary>How the client side talks to one upstream endpoint.</summary>
public enum UpstreamTlsMode { Disable, Simple, Mutual, IstioMutual }

/// <summary>
/// Everything one proxy needs, computed by the control plane: an immutable value that the proxy
/// swaps in whole. <see cref="Version"/> is a hash of the content: equal versions, equal snapshots.
/// </summary>
public sealed record ProxySnapshot
{
    public required string Version { get; init; }
    public required ProxyNode Node { get; init; }
    public ImmutableArray<InboundPort> Inbound { get; init; } = [];
    public ImmutableArray<OutboundService> Outbound { get; init; } = [];
    /// <summary>PEM roots the proxy trusts for mesh traffic (more than one during root rotation).</summary>
    public ImmutableArray<string> TrustBundle { get; init; } = [];
    /// <summary>Trust domains whose SPIFFE IDs the inbound side accepts (trust domain + aliases).</summary>
    public ImmutableArray<string> TrustDomains { get; init; } = ["cluster.local"];
    /// <summary>Gateway listeners (role Gateway only).</summary>
    public ImmutableArray<GatewayListener> Gateways { get; init; } = [];
    /// <summary>VirtualService HTTP routes bound to the mesh, by service host (role Sidecar only).</summary>
    public ImmutableArray<VirtualHostRoutes> HttpRoutes { get; init; } = [];
    /// <summary>
    /// Role Sidecar: what a captured inbound connection to a port with no <see cref="Inbound"/> entry meets (Istio's
    /// InboundPassthrough chains): the workload-level mTLS mode (no port-level setting, Istio's port 0) and the
    /// authorization of the workload as TCP. Its <see cref="InboundPort.Port"/> is 0. Null: such connections are refused.
    /// </summary>
    public InboundPort? InboundPassthrough { get; init; }
    /// <summary>Role Sidecar: the Sidecar resource's scope of <see cref="Outbound"/> and the outboundTrafficPolicy; null: no scope, ALLOW_ANY.</summary>
    public OutboundScope? Scope { get; init; }
}

/// <summary>Who the proxy is, as the control plane knows it (used for metrics labels and XFCC "By").</summary>
public sealed record ProxyNode
{
    public required string Id { get; init; }               // "<pod>.<namespace>"
    public required ProxyRole Role { get; init; }
    public required string Namespace { get; init; }
    public required string Workload { get; init; }         // deployment name (or pod name)
    public string? ServiceAccount { get; init; }
    public string? SpiffeId { get; init; }                 // spiffe://td/ns/x/sa/y; null for Network
    public string? App { get; init; }                      // label app
    public string? Version { get; init; }                  // label version
    public string? CanonicalService { get; init; }
}

/// <summary>One workload port the sidecar listens on (at podIP:Port) and forwards to the app.</summary>
public sealed record InboundPort
{
    public required int Port { get; init; }
    /// <summary>"http" (L7: HTTP/1.1 and h2) or "tcp" (L4 bytes).</summary>
    public required string Protocol { get; init; }
    public required InboundTlsMode Mode { get; init; }
    /// <summary>Why this mode: e.g. "PeerAuthentication foo/default (namespace-wide)".</summary>
    public string ModeSource { get; init; } = "default";
    /// <summary>Policies already resolved for this port (HTTP-only fields already dropped or widened for TCP).</summary>
    public ImmutableArray<AuthzPolicy> Authorization { get; init; } = [];
    /// <summary>FQDNs of the Services that target this port, for destination_service labels.</summary>
    public ImmutableArray<string> Services { get; init; } = [];
}

/// <summary>A service the proxy can route to, by every name Kubernetes DNS gives it.</summary>
public sealed record OutboundService
{
    public required string Name { get; init; }
    public required string Namespace { get; init; }
    /// <summary>name.namespace.svc.cluster.local</summary>
    public required string Hostname { get; init; }
    /// <summary>The Service's virtual IPv4 address (spec.clusterIP); null for a headless Service or none allocated.
    /// A captured connection to clusterIP:port goes to that service port.</summary>
    public string? ClusterIp { get; init; }
    public ImmutableArray<OutboundPort> Ports { get; init; } = [];
}

public sealed record OutboundPort
{
    /// <summary>The Service port (what clients dial).</summary>
    public required int Port { get; init; }
    public string? Name { get; init; }
    public required string Protocol { get; init; }
    public ImmutableArray<UpstreamEndpoint> Endpoints { get; init; } = [];
    /// <summary>SPIFFE IDs a server may present here (secure naming); empty only when no endpoint uses mesh mTLS.</summary>
    public ImmutableArray<string> AcceptedIdentities { get; init; } = [];
    /// <summary>"auto" or "DestinationRule ns/name".</summary>
    public string TlsSource { get; init; } = "auto";
    /// <summary>For SIMPLE/MUTUAL origination: SNI to send, when set.</summary>
    public string? Sni { get; init; }
    /// <summary>DestinationRule subsets of this port (reached only through a VirtualService route).</summary>
    public ImmutableArray<OutboundSubset> Subsets { get; init; } = [];
}

public sealed record UpstreamEndpoint
{
    public required string Address { get; init; }          // pod IP
    public required int Port { get; init; }                // target (container) port
    public required UpstreamTlsMode Tls { get; init; }
    public bool Ready { get; init; } = true;
    public string? Pod { get; init; }
    public string? Workload { get; init; }
    public string? Namespace { get; init; }
    public string? ServiceAccount { get; init; }
    /// <summary>The pod's <c>app</c> and <c>version</c> labels: the source reporter's destination_app and destination_version.</summary>
    public string? App { get; init; }
    public string? Version { get; init; }
}

/// <summary>
/// The servers of the Gateways that select this gateway on one port: plaintext HTTP ("http") or HTTPS ("https",
/// terminated with the credential of the server <see cref="TlsServers"/> picks by SNI), accepting the
/// <see cref="Hosts"/> patterns ("*", exact, "*.suffix"); a request for any other host is a 404.
/// </summary>
public sealed record GatewayListener
{
    /// <summary>The Gateway server's port number (the gateway Service's port clients call).</summary>
    public required int Port { get; init; }
    public required string Protocol { get; init; }
    public ImmutableArray<string> Hosts { get; init; } = [];
    /// <summary>The HTTP routes of the VirtualServices bound to these servers, by their host patterns, in binding order.</summary>
    public ImmutableArray<VirtualHostRoutes> VirtualHosts { get; init; } = [];
    /// <summary>The HTTPS servers of this port, in Gateway order; empty on a plaintext port.</summary>
    public ImmutableArray<GatewayTlsServer> TlsServers { get; init; } = [];
    /// <summary>Host patterns of plaintext servers with <c>tls.httpsRedirect</c>: their requests get a 301 to https.</summary>
    public ImmutableArray<string> HttpsRedirectHosts { get; init; } = [];
}

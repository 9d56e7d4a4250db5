using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// What changed between two snapshots of one proxy, as incremental xDS sends it: keyed parts
/// (inbound ports by port, outbound services by hostname) added or updated whole, and removed by
/// key; the other parts resent whole when they changed and absent when they did not. It applies
/// only to the snapshot whose version is <see cref="BaseVersion"/>; a proxy running anything else
/// asks for a full snapshot instead of guessing.
/// </summary>
public sealed record SnapshotDelta
{
    /// <summary>The version this delta was computed against.</summary>
    public required string BaseVersion { get; init; }
    /// <summary>The version of the snapshot the delta produces.</summary>
    public required string Version { get; init; }

    public ProxyNode? Node { get; init; }
    /// <summary>Inbound ports added or changed, in port order.</summary>
    public ImmutableArray<InboundPort> Inbound { get; init; } = [];
    public ImmutableArray<int> InboundRemoved { get; init; } = [];
    /// <summary>Outbound services added or changed, in (namespace, name) order.</summary>
    public ImmutableArray<OutboundService> Outbound { get; init; } = [];
    /// <summary>Hostnames of outbound services no longer known.</summary>
    public ImmutableArray<string> OutboundRemoved { get; init; } = [];
    /// <summary>
    /// Endpoint lists of outbound services the proxy keeps, edited in place: services whose only change is
    /// their endpoints are sent this way rather than in <see cref="Outbound"/>. Applied after it.
    /// </summary>
    public ImmutableArray<EndpointPatch> OutboundEndpoints { get; init; } = [];
    public ImmutableArray<string>? TrustBundle { get; init; }
    public ImmutableArray<string>? TrustDomains { get; init; }
    public ImmutableArray<GatewayListener>? Gateways { get; init; }
    public ImmutableArray<VirtualHostRoutes>? HttpRoutes { get; init; }
    /// <summary>
    /// <see cref="ProxySnapshot.InboundPassthrough"/> when it changed, as a list of none or one
    /// (so that "now none" and "unchanged" differ); null when unchanged.
    /// </summary>
    public ImmutableArray<InboundPort>? InboundPassthrough { get; init; }
    /// <summary><see cref="ProxySnapshot.Scope"/> when it changed, as a list of none or one; null when unchanged.</summary>
    public ImmutableArray<OutboundScope>? Scope { get; init; }

}

using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// An edit of one endpoint list of an outbound service the proxy already has (a port's endpoints, or one
/// subset's), sent instead of the whole service when nothing else about it changed: a pod added behind a
/// Service that a thousand proxies call then costs each of them one endpoint, as Envoy's EDS sends
/// endpoints apart from clusters. Endpoints are keyed by <see cref="SnapshotParts.EndpointKey"/>.
/// Applying it: drop <see cref="Removed"/>, then insert each of <see cref="Added"/> at its index, in
/// index order; the endpoints kept stay in their order. A changed endpoint is removed and added again.
/// </summary>
public sealed record EndpointPatch
{
    /// <summary>The service, as in <see cref="OutboundService.Hostname"/>.</summary>
    public required string Hostname { get; init; }
    /// <summary>The service port, as in <see cref="OutboundPort.Port"/>.</summary>
    public required int Port { get; init; }
    /// <summary>The DestinationRule subset whose endpoints these are; null for the port's own endpoints.</summary>
    public string? Subset { get; init; }
    /// <summary>Keys of the endpoints that go away (or are replaced).</summary>
    public ImmutableArray<string> Removed { get; init; } = [];
    /// <summary>Endpoints that are new or changed, each with its index in the resulting list, in index order.</summary>
    public ImmutableArray<PlacedEndpoint> Added { get; init; } = [];
}

/// <summary>An endpoint and where it goes in the patched list.</summary>
public sealed record PlacedEndpoint
{
    public required int Index { get; init; }
    public required UpstreamEndpoint Endpoint { get; init; }
}

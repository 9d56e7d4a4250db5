using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>What a sidecar does with a connection or request for a host it was not told about (Istio's outboundTrafficPolicy).</summary>
public enum UnlistedTraffic
{
    /// <summary>ALLOW_ANY: passed through to where the app dialled, as plaintext (Istio's PassthroughCluster).</summary>
    Passthrough,
    /// <summary>REGISTRY_ONLY: refused, an HTTP request with 502 (Istio's BlackHoleCluster).</summary>
    BlackHole,
}

/// <summary>
/// Role Sidecar: how the proxy's outbound services were scoped (Istio's Sidecar resource) and what it does
/// beyond them. Null on the snapshot: every Service of the mesh, and unlisted traffic passed through.
/// </summary>
public sealed record OutboundScope
{
    /// <summary>"Sidecar ns/name (why)" that limited the services; null when every Service is listed.</summary>
    public string? Sidecar { get; init; }
    /// <summary>The egress hosts in force (namespaces resolved), as <c>ns/host</c>.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];
    public UnlistedTraffic Unlisted { get; init; }
    /// <summary>Where <see cref="Unlisted"/> came from: "Sidecar ns/name", "mesh config" or "default".</summary>
    public required string UnlistedSource { get; init; }
}

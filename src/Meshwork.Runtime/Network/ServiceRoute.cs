using System.Collections.Immutable;
using System.Net;

namespace Meshwork.Runtime.Network;

/// <summary>One Service port as a pod's network sees it: its clusterIP:port and the endpoints behind it.</summary>
public sealed record ServiceRoute
{
    public required IPAddress ClusterIp { get; init; }
    public required int Port { get; init; }
    public required ImmutableArray<IPEndPoint> Endpoints { get; init; }

    public bool Equals(ServiceRoute? other) =>
        other is not null && ClusterIp.Equals(other.ClusterIp) && Port == other.Port && Endpoints.SequenceEqual(other.Endpoints);

    public override int GetHashCode() => HashCode.Combine(ClusterIp, Port, Endpoints.Length);
}

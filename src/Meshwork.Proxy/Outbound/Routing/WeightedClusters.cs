using System.Collections.Immutable;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>A route's destinations drawn by weight (Envoy's weighted clusters); a destination of weight 0 is never drawn.</summary>
internal sealed class WeightedClusters
{
    private readonly RouteCluster[] _destinations;
    private readonly int _totalWeight;

    public WeightedClusters(ImmutableArray<RouteCluster> destinations)
    {
        _destinations = [.. (destinations.IsDefault ? [] : destinations).Where(d => d.Weight > 0)];
        _totalWeight = _destinations.Sum(d => d.Weight);
    }

    /// <summary>A destination drawn by weight; null when there is none.</summary>
    public RouteCluster? Pick()
    {
        if (_destinations.Length <= 1) return _destinations.Length == 0 ? null : _destinations[0];
        var draw = Random.Shared.Next(_totalWeight);
        foreach (var destination in _destinations)
        {
            if (draw < destination.Weight) return destination;
            draw -= destination.Weight;
        }
        return _destinations[^1];
    }
}

/// <summary>One VirtualService tcp route, ready to run: the ports it takes and its weighted destinations.</summary>
internal sealed class CompiledTcpRoute(TcpRouteRule rule, string source)
{
    private readonly int[] _ports = rule.Ports.IsDefault ? [] : [.. rule.Ports];
    private readonly WeightedClusters _destinations = new(rule.Destinations);

    public string Source { get; } = source;

    /// <summary>True when a connection to <paramref name="port"/> is this route's (a route without ports takes every one).</summary>
    public bool Admits(int port) => _ports.Length == 0 || Array.IndexOf(_ports, port) >= 0;

    public RouteCluster? PickDestination() => _destinations.Pick();
}

using System.Collections.Frozen;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// What a captured outbound connection's original destination names, as one snapshot says: a Service's
/// clusterIP:port (that service port, as Istio's outbound listeners per Service VIP), or one endpoint of a service
/// port dialled directly (podIP:targetPort); anything else is not a mesh service (PassthroughCluster).
/// Built once per snapshot, the first time a captured connection asks.
/// </summary>
internal sealed class CaptureTable
{
    private readonly FrozenDictionary<Ipv4EndPoint, RouteTarget> _services;
    private readonly FrozenDictionary<Ipv4EndPoint, (RouteTarget Target, UpstreamEndpoint Endpoint)> _endpoints;

    public CaptureTable(ServiceRouter router)
    {
        var services = new Dictionary<Ipv4EndPoint, RouteTarget>();
        var endpoints = new Dictionary<Ipv4EndPoint, (RouteTarget, UpstreamEndpoint)>();
        foreach (var service in router.Services)
        {
            foreach (var port in service.Ports)
            {
                if (!router.TryResolve(service.Hostname, port.Port, out var target, out _)) continue;
                if (Ipv4EndPoint.TryParse(service.ClusterIp, port.Port, out var vip)) services.TryAdd(vip, target!);
                foreach (var endpoint in port.Endpoints)
                {
                    if (Ipv4EndPoint.TryParse(endpoint.Address, endpoint.Port, out var direct)) endpoints.TryAdd(direct, (target!, endpoint));
                }
            }
        }
        _services = services.ToFrozenDictionary();
        _endpoints = endpoints.ToFrozenDictionary();
    }

    public CapturedDestination Resolve(Ipv4EndPoint destination)
    {
        if (_services.TryGetValue(destination, out var target)) return new CapturedDestination(target, null);
        if (_endpoints.TryGetValue(destination, out var direct)) return new CapturedDestination(direct.Target, direct.Endpoint);
        return default;
    }
}

/// <summary>
/// The service port a captured connection goes to, and the one endpoint when the client dialled a pod directly;
/// no target: not a mesh service.
/// </summary>
internal readonly record struct CapturedDestination(RouteTarget? Target, UpstreamEndpoint? Pinned);

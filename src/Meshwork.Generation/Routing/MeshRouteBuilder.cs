using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Policy;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Routing;

/// <summary>
/// The VirtualService routes (http and tcp) a sidecar applies (Istio's implicit <c>mesh</c> gateway): those without
/// <c>gateways</c>, or listing <c>mesh</c>, exported to the client's namespace. A host claimed by several
/// VirtualServices is routed by the oldest, as Istio keeps the first it sees.
/// </summary>
internal static class MeshRouteBuilder
{
    public const string MeshGateway = "mesh";

    public static ImmutableArray<VirtualHostRoutes> Build(MeshState mesh, string clientNamespace)
    {
        var claimed = new HashSet<string>(StringComparer.Ordinal);
        var tables = ImmutableArray.CreateBuilder<VirtualHostRoutes>();
        foreach (var vs in MeshRouting.ForSidecars(mesh, clientNamespace))
        {
            var ns = vs.Metadata.Namespace!;
            var hosts = vs.Spec.Hosts.Select(h => RouteHosts.Fqdn(h, ns)).Where(claimed.Add).Order(StringComparer.Ordinal).ToImmutableArray();
            if (hosts.IsEmpty) continue;
            var routes = vs.Spec.Http
                .Select(r => HttpRouteConverter.Convert(r, ns, gateways => gateways.Contains(MeshGateway), _ => 0))
                .OfType<HttpRouteRule>()
                .ToImmutableArray();
            // Null when the VirtualService has no tcp routes, so snapshots without any read as before.
            ImmutableArray<TcpRouteRule>? tcp = vs.Spec.Tcp.IsEmpty ? null : [.. vs.Spec.Tcp.Select(r => HttpRouteConverter.ConvertTcp(r, ns, _ => 0))];
            tables.Add(new VirtualHostRoutes { Hosts = hosts, Routes = routes, Tcp = tcp, Source = $"VirtualService {ns}/{vs.Metadata.Name}" });
        }
        return tables.ToImmutable();
    }
}

using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Routing;

/// <summary>
/// The VirtualService routes a sidecar applies (Istio's implicit <c>mesh</c> gateway): those without
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
        foreach (var vs in mesh.VirtualServices
            .Where(v => v.Metadata.Namespace is not null && AppliesToMesh(v) && IsExportedTo(v, clientNamespace) && !v.Spec.Http.IsEmpty)
            .OrderBy(v => v.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
            .ThenBy(v => v.Metadata.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Metadata.Name, StringComparer.Ordinal))
        {
            var ns = vs.Metadata.Namespace!;
            var hosts = vs.Spec.Hosts.Select(h => RouteHosts.Fqdn(h, ns)).Where(claimed.Add).Order(StringComparer.Ordinal).ToImmutableArray();
            if (hosts.IsEmpty) continue;
            var routes = vs.Spec.Http
                .Select(r => HttpRouteConverter.Convert(r, ns, gateways => gateways.Contains(MeshGateway), _ => 0))
                .OfType<HttpRouteRule>()
                .ToImmutableArray();
            tables.Add(new VirtualHostRoutes { Hosts = hosts, Routes = routes, Source = $"VirtualService {ns}/{vs.Metadata.Name}" });
        }
        return tables.ToImmutable();
    }

    private static bool AppliesToMesh(VirtualService vs) => vs.Spec.Gateways.IsEmpty || vs.Spec.Gateways.Contains(MeshGateway);

    /// <summary>exportTo: empty or "*" is every namespace, "." the VirtualService's own.</summary>
    private static bool IsExportedTo(VirtualService vs, string clientNamespace) =>
        vs.Spec.ExportTo.IsEmpty
        || vs.Spec.ExportTo.Contains("*")
        || (vs.Spec.ExportTo.Contains(".") && vs.Metadata.Namespace == clientNamespace)
        || vs.Spec.ExportTo.Contains(clientNamespace);
}

using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>
/// What a VirtualService refers to that does not exist, as istioctl analyze reports it (IST0101,
/// ReferencedResourceNotFound): a gateway by name, or a DestinationRule subset. Such a VirtualService is valid
/// on its own, so these are warnings: the gateway may be applied later, and a route to a missing subset answers 503.
/// </summary>
public static class RouteReferences
{
    public static ImmutableArray<Reason> Check(MeshState mesh, IEnumerable<VirtualService> virtualServices)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(virtualServices);
        var warnings = ImmutableArray.CreateBuilder<Reason>();
        foreach (var vs in virtualServices)
        {
            var ns = vs.Metadata.Namespace ?? "default";
            for (var i = 0; i < vs.Spec.Gateways.Length; i++)
            {
                var name = vs.Spec.Gateways[i];
                if (name == "mesh") continue;
                var slash = name.IndexOf('/', StringComparison.Ordinal);
                var (gatewayNamespace, gatewayName) = slash < 0 ? (ns, name) : (name[..slash], name[(slash + 1)..]);
                if (mesh.Gateways.Any(g => (g.Metadata.Namespace ?? "default") == gatewayNamespace && g.Metadata.Name == gatewayName)) continue;
                warnings.Add(new Reason($"Referenced gateway not found: \"{gatewayNamespace}/{gatewayName}\"", vs.Ref, $"spec.gateways[{i}]"));
            }
            for (var r = 0; r < vs.Spec.Http.Length; r++)
            {
                var route = vs.Spec.Http[r].Route;
                for (var d = 0; d < route.Length; d++)
                {
                    if (route[d].Destination.Subset is not { } subset) continue;
                    var host = RouteHosts.Fqdn(route[d].Destination.Host, ns);
                    if (mesh.DestinationRules.Any(dr => RouteHosts.Fqdn(dr.Spec.Host, dr.Metadata.Namespace ?? "default") == host && dr.Spec.Subsets.Any(s => s.Name == subset))) continue;
                    warnings.Add(new Reason($"Referenced host+subset in destinationrule not found: \"{host}+{subset}\"", vs.Ref, $"spec.http[{r}].route[{d}].destination.subset"));
                }
            }
        }
        return warnings.ToImmutable();
    }
}

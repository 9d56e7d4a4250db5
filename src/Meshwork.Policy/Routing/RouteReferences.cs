using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>
/// What a VirtualService refers to that does not exist, as istioctl analyze reports it (IST0101,
/// ReferencedResourceNotFound): a gateway by name (the VirtualService's own list or a match block's), a destination
/// host that no Service resolves, or a DestinationRule subset of a host that has one. The one place this is judged:
/// <c>meshwork analyze</c> reports these findings as errors, <c>apply</c> as warnings (the VirtualService is valid on
/// its own: the gateway may be applied later, and a route to a missing subset answers 503).
/// </summary>
public static class RouteReferences
{
    /// <summary>One reason per missing reference, naming the field that holds it.</summary>
    public static ImmutableArray<Reason> Check(MeshState mesh, IEnumerable<VirtualService> virtualServices)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(virtualServices);
        var found = ImmutableArray.CreateBuilder<Reason>();
        foreach (var vs in virtualServices)
        {
            var ns = vs.Metadata.Namespace ?? "default";
            for (var i = 0; i < vs.Spec.Gateways.Length; i++) CheckGateway(mesh, vs, ns, vs.Spec.Gateways[i], $"spec.gateways[{i}]", found);
            for (var r = 0; r < vs.Spec.Http.Length; r++)
            {
                var http = vs.Spec.Http[r];
                for (var m = 0; m < http.Match.Length; m++)
                {
                    for (var g = 0; g < http.Match[m].Gateways.Length; g++)
                        CheckGateway(mesh, vs, ns, http.Match[m].Gateways[g], $"spec.http[{r}].match[{m}].gateways[{g}]", found);
                }
                for (var d = 0; d < http.Route.Length; d++) CheckDestination(mesh, vs, ns, http.Route[d].Destination, $"spec.http[{r}].route[{d}].destination", found);
            }
            for (var r = 0; r < vs.Spec.Tcp.Length; r++)
            {
                var tcp = vs.Spec.Tcp[r];
                for (var d = 0; d < tcp.Route.Length; d++) CheckDestination(mesh, vs, ns, tcp.Route[d].Destination, $"spec.tcp[{r}].route[{d}].destination", found);
            }
        }
        return found.ToImmutable();
    }

    /// <summary>"name" is in the VirtualService's namespace, "ns/name" names the namespace; "mesh" is the sidecars.</summary>
    private static void CheckGateway(MeshState mesh, VirtualService vs, string ns, string reference, string field, ImmutableArray<Reason>.Builder found)
    {
        if (reference == "mesh") return;
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var (gatewayNamespace, gatewayName) = slash < 0 ? (ns, reference) : (reference[..slash], reference[(slash + 1)..]);
        if (mesh.Gateways.Any(g => (g.Metadata.Namespace ?? "default") == gatewayNamespace && g.Metadata.Name == gatewayName)) return;
        found.Add(new Reason($"Referenced gateway not found: \"{gatewayNamespace}/{gatewayName}\"", vs.Ref, field));
    }

    /// <summary>The host must resolve to a Service; a subset must be one of the DestinationRule that applies to it.</summary>
    private static void CheckDestination(MeshState mesh, VirtualService vs, string ns, RouteDestination destination, string field, ImmutableArray<Reason>.Builder found)
    {
        var service = ServiceResolver.ResolveService(mesh, ns, destination.Host);
        if (service is null)
        {
            found.Add(new Reason($"Referenced host not found: \"{destination.Host}\"", vs.Ref, field + ".host"));
            return;
        }
        if (destination.Subset is not { } subset || service.Spec.Ports.IsEmpty) return;
        var rule = DestinationRuleLookup.Find(mesh, ns, new ServiceTarget(service, service.Spec.Ports[0]));
        if (rule is not null && rule.Subsets.Any(s => s.Name == subset)) return;
        found.Add(new Reason($"Referenced host+subset in destinationrule not found: \"{RouteHosts.Fqdn(destination.Host, ns)}+{subset}\"", vs.Ref, field + ".subset"));
    }
}

using Meshwork.Model.Resources;

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>IST0101: a VirtualService names a gateway, a host or a subset that does not exist.</summary>
internal sealed class ReferencedResourceAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        var mesh = context.Mesh;
        foreach (var vs in mesh.VirtualServices)
        {
            var ns = vs.Metadata.Namespace ?? "default";
            var gateways = vs.Spec.Gateways.Concat(vs.Spec.Http.SelectMany(r => r.Match).SelectMany(m => m.Gateways)).Distinct(StringComparer.Ordinal);
            foreach (var gateway in gateways)
            {
                if (gateway == "mesh" || GatewayExists(context, ns, gateway)) continue;
                yield return Message(vs, $"Referenced gateway not found: \"{gateway}\"");
            }
            var destinations = vs.Spec.Http.SelectMany(r => r.Route).Concat(vs.Spec.Tcp.SelectMany(r => r.Route)).Select(w => w.Destination);
            foreach (var destination in destinations.Distinct())
            {
                var service = ServiceResolver.ResolveService(mesh, ns, destination.Host);
                if (service is null)
                {
                    yield return Message(vs, $"Referenced host not found: \"{destination.Host}\"");
                    continue;
                }
                if (destination.Subset is not { } subset || service.Spec.Ports.IsEmpty) continue;
                var rule = DestinationRuleLookup.Find(mesh, ns, new ServiceTarget(service, service.Spec.Ports[0]));
                if (rule is null || !rule.Subsets.Any(s => s.Name == subset))
                {
                    yield return Message(vs, $"Referenced host+subset in destinationrule not found: \"{destination.Host}+{subset}\"");
                }
            }
        }
    }

    /// <summary>"name" is in the VirtualService's namespace; "ns/name" names the namespace.</summary>
    private static bool GatewayExists(AnalysisContext context, string vsNamespace, string reference)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        var (ns, name) = slash < 0 ? (vsNamespace, reference) : (reference[..slash], reference[(slash + 1)..]);
        return context.Mesh.Gateways.Any(g => (g.Metadata.Namespace ?? "default") == ns && g.Metadata.Name == name);
    }

    private static AnalysisMessage Message(VirtualService vs, string text) =>
        new(AnalysisCode.ReferencedResourceNotFound, vs.Kind, vs.Metadata.Namespace ?? "default", vs.Metadata.Name, text);
}

using Meshwork.Model.Resources;

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>IST0101: a VirtualService names a gateway, a host or a subset that does not exist, as <see cref="RouteReferences"/> finds them.</summary>
internal sealed class ReferencedResourceAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        foreach (var vs in context.Mesh.VirtualServices)
        {
            // One finding per missing thing, however many routes name it (istioctl reports each reference once).
            foreach (var sentence in RouteReferences.Check(context.Mesh, [vs]).Select(r => r.Sentence).Distinct(StringComparer.Ordinal))
                yield return new(AnalysisCode.ReferencedResourceNotFound, vs.Kind, vs.Metadata.Namespace ?? "default", vs.Metadata.Name, sentence);
        }
    }
}

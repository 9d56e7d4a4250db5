using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Policy.Analysis.Analyzers;

namespace Meshwork.Policy.Analysis;

/// <summary><c>analyze</c>: every analyzer over one mesh, the findings sorted as istioctl sorts them.</summary>
public static class MeshAnalyzer
{
    public static readonly ImmutableArray<IMeshAnalyzer> All =
    [
        new ReferencedResourceAnalyzer(),
        new NamespaceInjectionAnalyzer(),
        new PodProxyAnalyzer(),
        new SelectorWorkloadAnalyzer(),
        new CaCertificateAnalyzer(),
        new DestinationRuleTlsAnalyzer(),
        new PortLevelMtlsAnalyzer(),
        new PeerAuthenticationScopeAnalyzer(),
        new SidecarScopeAnalyzer(),
    ];

    /// <summary>The findings about resources in <paramref name="namespace"/> (every namespace when null).</summary>
    public static ImmutableArray<AnalysisMessage> Analyze(MeshState mesh, string? @namespace = null)
    {
        var context = new AnalysisContext(mesh);
        return
        [
            .. All.SelectMany(a => a.Analyze(context))
                .Where(m => @namespace is null || m.Scope == @namespace)
                .Distinct()
                .OrderBy(m => m.Scope, StringComparer.Ordinal)
                .ThenBy(m => m.Kind, StringComparer.Ordinal)
                .ThenBy(m => m.Name, StringComparer.Ordinal)
                .ThenBy(m => m.Code.Code, StringComparer.Ordinal),
        ];
    }

    /// <summary>True when a finding is bad enough to fail the run (istioctl's default failure threshold: Error).</summary>
    public static bool HasErrors(IEnumerable<AnalysisMessage> messages) => messages.Any(m => m.Level == AnalysisLevel.Error);
}

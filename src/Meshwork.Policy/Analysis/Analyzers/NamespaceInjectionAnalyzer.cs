namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>IST0102: a namespace that says neither yes nor no to sidecar injection.</summary>
internal sealed class NamespaceInjectionAnalyzer : IMeshAnalyzer
{
    /// <summary>Namespaces that run the mesh itself or the platform, which Istio does not expect to be injected.</summary>
    private static readonly HashSet<string> SystemNamespaces = new(StringComparer.Ordinal) { "kube-system", "kube-public", "kube-node-lease", "local-path-storage" };

    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        foreach (var ns in context.Mesh.Namespaces)
        {
            var name = ns.Metadata.Name;
            if (name == context.RootNamespace || SystemNamespaces.Contains(name)) continue;
            if (ns.Metadata.Labels.ContainsKey(Workload.InjectionNamespaceLabel) || ns.Metadata.Labels.ContainsKey("istio.io/rev")) continue;
            yield return new AnalysisMessage(AnalysisCode.NamespaceNotInjected, "Namespace", null, name,
                $"The namespace is not enabled for Istio injection. Run 'meshwork label namespace {name} {Workload.InjectionNamespaceLabel}=enabled' to enable it, or 'meshwork label namespace {name} {Workload.InjectionNamespaceLabel}=disabled' to explicitly mark it as not needing injection.");
        }
    }
}

using Meshwork.Model.Resources;

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>
/// PeerAuthentications that never apply: MWK0005 a selector policy in the root namespace (Istio ignores it);
/// MWK0006 a second policy at the same level — mesh-wide, namespace-wide, or selecting the same
/// workload — where only the oldest one applies (ISTIO-SEMANTICS §2.1).
/// </summary>
internal sealed class PeerAuthenticationScopeAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        var root = context.RootNamespace;
        var all = context.Mesh.PeerAuthentications;
        foreach (var policy in all)
        {
            if (policy.Metadata.Namespace == root && policy.Spec.Selector is { IsEmpty: false })
            {
                yield return new AnalysisMessage(AnalysisCode.SelectorPolicyInRootNamespace, policy.Kind, root, policy.Metadata.Name,
                    $"This PeerAuthentication has a selector in the root namespace {root}, so it never applies. Move it to the workloads' namespace, or drop the selector to make it mesh-wide.");
            }
        }

        foreach (var level in all.Where(p => p.Spec.Selector is null or { IsEmpty: true }).GroupBy(p => p.Metadata.Namespace ?? "default"))
        {
            var scope = level.Key == root ? "mesh-wide" : $"namespace-wide policy for {level.Key}";
            foreach (var message in Shadowed([.. level], scope == "mesh-wide" ? "mesh-wide policy" : scope)) yield return message;
        }

        var reported = new HashSet<PeerAuthentication>(ReferenceEqualityComparer.Instance);
        foreach (var workload in context.Workloads)
        {
            var selecting = all.Where(p => p.Metadata.Namespace == workload.Namespace && p.Metadata.Namespace != root
                && p.Spec.Selector is { IsEmpty: false } s && s.Matches(workload.Labels)).ToList();
            foreach (var message in Shadowed(selecting, $"workload policy for {workload.Ref}"))
            {
                if (reported.Add(selecting.First(p => p.Metadata.Name == message.Name))) yield return message;
            }
        }
    }

    private static IEnumerable<AnalysisMessage> Shadowed(List<PeerAuthentication> sameLevel, string level)
    {
        if (sameLevel.Count < 2) yield break;
        var oldest = Age.Oldest(sameLevel)!;
        foreach (var policy in sameLevel)
        {
            if (ReferenceEquals(policy, oldest)) continue;
            yield return new AnalysisMessage(AnalysisCode.ShadowedPolicy, policy.Kind, policy.Metadata.Namespace ?? "default", policy.Metadata.Name,
                $"This PeerAuthentication is ignored: {oldest.Metadata.Namespace}/{oldest.Metadata.Name} is an older {level}, and only the oldest one applies. Merge the two, or delete this one.");
        }
    }
}

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>IST0127: an AuthorizationPolicy whose selector matches no workload, so it protects nothing.</summary>
internal sealed class SelectorWorkloadAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        foreach (var policy in context.Mesh.AuthorizationPolicies)
        {
            if (policy.Spec.Selector is not { IsEmpty: false } selector) continue;
            var ns = policy.Metadata.Namespace ?? "default";
            if (context.Selected(ns, selector, rootReachesAll: true).Any()) continue;
            yield return new AnalysisMessage(AnalysisCode.NoMatchingWorkloadsFound, policy.Kind, ns, policy.Metadata.Name,
                $"No matching workloads for this resource with the following labels: {AnalysisContext.Text(selector)}");
        }
    }
}

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>IST0103: a running pod that injection says should have a sidecar, but has none (created before the label, usually).</summary>
internal sealed class PodProxyAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        foreach (var pod in context.Mesh.Pods)
        {
            var ns = pod.Metadata.Namespace ?? "default";
            if (Workload.FromPod(pod).HasSidecar) continue;
            if (!Injection.Decide(context.Mesh, ns, pod.Metadata.Labels, pod.Metadata.Annotations).Injected) continue;
            yield return new AnalysisMessage(AnalysisCode.PodMissingProxy, pod.Kind, ns, pod.Metadata.Name,
                $"The pod {ns}/{pod.Metadata.Name} is missing the Istio proxy. This can often be resolved by restarting or redeploying the workload.");
        }
    }
}

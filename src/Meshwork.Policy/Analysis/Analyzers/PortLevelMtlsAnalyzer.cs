using System.Globalization;

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>
/// MWK0004: portLevelMtls keyed by a workload port that no Service of the selected workloads targets.
/// Istio builds port-level mTLS only for ports a Service exposes, so the setting protects nothing
/// (often the Service port was written where the targetPort belongs).
/// </summary>
internal sealed class PortLevelMtlsAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        foreach (var policy in context.Mesh.PeerAuthentications)
        {
            if (policy.Spec.PortLevelMtls.IsEmpty || policy.Spec.Selector is not { IsEmpty: false } selector) continue;
            var ns = policy.Metadata.Namespace ?? "default";
            if (ns == context.RootNamespace) continue; // ignored as a whole: PeerAuthenticationScopeAnalyzer says so
            var workloads = context.Selected(ns, selector, rootReachesAll: false).ToList();
            if (workloads.Count == 0) continue;
            foreach (var port in policy.Spec.PortLevelMtls.Keys)
            {
                if (workloads.Any(w => !ServiceResolver.ServicesFor(context.Mesh, w, port).IsEmpty)) continue;
                yield return new AnalysisMessage(AnalysisCode.PortLevelMtlsOnUndeclaredPort, policy.Kind, ns, policy.Metadata.Name,
                    string.Create(CultureInfo.InvariantCulture,
                        $"portLevelMtls sets port {port}, but no Service in namespace {ns} targets port {port} of the workloads this policy selects ({AnalysisContext.Text(selector)}); port-level mTLS applies only to ports a Service exposes. Use the Service's targetPort (the container port), or declare the port in a Service."));
            }
        }
    }
}

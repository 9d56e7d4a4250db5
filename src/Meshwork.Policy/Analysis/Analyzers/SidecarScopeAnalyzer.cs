using Meshwork.Model.Resources;
using Meshwork.Policy.Sidecars;

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>
/// MWK0007: a workload calls a mesh Service that its Sidecar scope leaves out. Its sidecar was not told
/// about that Service, so under ALLOW_ANY the call leaves as plaintext passthrough (no mTLS, no secure
/// naming: a silent downgrade), and under REGISTRY_ONLY it fails with 502. A call is known when the
/// Service's AuthorizationPolicy allows the workload's principal by name, or when it was observed.
/// </summary>
internal sealed class SidecarScopeAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        var mesh = context.Mesh;
        if (mesh.Sidecars.IsDefaultOrEmpty) yield break;
        var reported = new HashSet<(string, string, string)>();
        foreach (var workload in context.Workloads.Where(w => w.HasSidecar))
        {
            var scope = SidecarScope.For(mesh, workload.Namespace, workload.Labels);
            if (scope.Sidecar is not { } sidecar) continue;
            foreach (var (service, why) in KnownCalls(context, workload))
            {
                var ns = service.Metadata.Namespace ?? "default";
                var host = WorkloadHost(service);
                if (scope.Includes(ns, host) || !reported.Add((workload.Ref, host, sidecar))) continue;
                var effect = scope.Mode == OutboundTrafficMode.RegistryOnly
                    ? "its calls get 502 from the BlackHoleCluster (REGISTRY_ONLY)"
                    : "its calls leave as plaintext passthrough, without mTLS (ALLOW_ANY)";
                var (sidecarNamespace, sidecarName) = Split(sidecar);
                yield return new AnalysisMessage(AnalysisCode.ServiceOutsideSidecarScope, "Sidecar", sidecarNamespace, sidecarName,
                    $"Workload {workload.Ref} calls {host} ({why}), but this Sidecar leaves it out of the workload's scope, so {effect}. Add \"{ns}/{host}\" (or \"{ns}/*\") to its egress hosts.");
            }
        }
    }

    /// <summary>The Services <paramref name="workload"/> is known to call, and how that is known.</summary>
    private static IEnumerable<(Service Service, string Why)> KnownCalls(AnalysisContext context, Workload workload)
    {
        var mesh = context.Mesh;
        var principal = SecureNaming.IdentityOf(mesh, workload).Uri;
        principal = principal.StartsWith("spiffe://", StringComparison.Ordinal) ? principal["spiffe://".Length..] : principal;
        foreach (var policy in mesh.AuthorizationPolicies)
        {
            if (policy.Spec.Action != AuthorizationAction.Allow) continue;
            var names = policy.Spec.Rules.SelectMany(r => r.From).Any(f => f.Principals.Contains(principal, StringComparer.Ordinal));
            if (!names) continue;
            var policyNamespace = policy.Metadata.Namespace ?? "default";
            foreach (var service in mesh.Services.Where(s => (s.Metadata.Namespace ?? "default") == policyNamespace && !s.Spec.Selector.IsEmpty))
            {
                // The policy protects the Service's workloads: those its selector picks (every one of the namespace without selector).
                var backs = context.Workloads.Any(w => w.Namespace == policyNamespace && service.Spec.Selector.Matches(w.Labels)
                    && (policy.Spec.Selector is null || policy.Spec.Selector.Matches(w.Labels)));
                if (backs) yield return (service, $"AuthorizationPolicy {policyNamespace}/{policy.Metadata.Name} allows it");
            }
        }
        foreach (var call in context.ObservedCalls)
        {
            if (call.SourceNamespace != workload.Namespace || call.SourceWorkload != workload.Name) continue;
            if (mesh.Services.FirstOrDefault(s => WorkloadHost(s) == call.DestinationHost) is { } observed) yield return (observed, "observed traffic");
        }
    }

    private static string WorkloadHost(Service service) => $"{service.Metadata.Name}.{service.Metadata.Namespace ?? "default"}.svc.cluster.local";

    private static (string Namespace, string Name) Split(string reference)
    {
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        return (reference[..slash], reference[(slash + 1)..]);
    }
}

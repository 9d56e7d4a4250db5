using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>
/// The PeerAuthentication/DestinationRule conflicts Istio's removed tls-check reported, per Service port a
/// DestinationRule sets tls for (as clients in the rule's namespace see it, ISTIO-SEMANTICS §2.4):
/// MWK0001 DISABLE towards a STRICT workload port (clients get 503); MWK0002 ISTIO_MUTUAL towards a
/// workload without a sidecar (the handshake has no one to answer it); MWK0003 an explicit mode for a host
/// whose endpoints mix sidecar and non-sidecar pods, where auto mTLS would have chosen per endpoint.
/// </summary>
internal sealed class DestinationRuleTlsAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        var mesh = context.Mesh;
        foreach (var rule in mesh.DestinationRules)
        {
            var ns = rule.Metadata.Namespace ?? "default";
            foreach (var service in mesh.Services)
            {
                var target0 = service.Spec.Ports.IsEmpty ? null : new ServiceTarget(service, service.Spec.Ports[0]);
                if (target0 is null || DestinationRuleLookup.HostMatchScore(rule, target0.Hostname) < 0) continue;
                foreach (var port in service.Spec.Ports)
                {
                    var target = new ServiceTarget(service, port);
                    var resolved = DestinationRuleLookup.Find(mesh, ns, target);
                    // Only where this rule is the one that decides: a shadowed or merged rule's trafficPolicy does nothing.
                    if (resolved is null || !ReferenceEquals(resolved.Rule, rule)) continue;
                    if (DestinationRuleLookup.ResolveTls(resolved, port.Port, subset: null) is not { Tls: { } tls, Field: var field }) continue;
                    foreach (var message in Check(context, rule, target, ClientTls.ToUpstream(tls.Mode), field)) yield return message;
                }
            }
        }
    }

    private static IEnumerable<AnalysisMessage> Check(AnalysisContext context, DestinationRule rule, ServiceTarget target, UpstreamTlsMode mode, string field)
    {
        var ns = rule.Metadata.Namespace ?? "default";
        var endpoints = ServiceResolver.Endpoints(context.Mesh, target);
        var where = string.Create(CultureInfo.InvariantCulture, $"{target.Hostname} port {target.Port.Port}");
        var sets = $"DestinationRule {ns}/{rule.Metadata.Name} sets tls mode {ClientTls.Text(mode)} ({field}) for {where}";

        if (mode == UpstreamTlsMode.Disable)
        {
            var strict = endpoints
                .Where(e => e.Workload.HasSidecar)
                .Select(e => (e.Workload, e.TargetPort, Mode: InboundMtls.Effective(context.Mesh, e.Workload, e.TargetPort)))
                .Where(e => e.Mode.Mode == InboundTlsMode.Strict)
                .ToList();
            if (strict.Count > 0)
            {
                var servers = string.Join(", ", strict.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Workload.Ref} port {e.TargetPort} ({e.Mode.Source})")));
                yield return new AnalysisMessage(AnalysisCode.PlaintextTowardsStrict, rule.Kind, ns, rule.Metadata.Name,
                    $"{sets}, but {servers} is STRICT: client sidecars send plaintext that the server resets (503). Remove the tls block to let auto mTLS decide, or set ISTIO_MUTUAL.");
            }
        }
        if (mode == UpstreamTlsMode.IstioMutual)
        {
            var bare = endpoints.Where(e => !e.Workload.HasSidecar).Select(e => e.Workload.Ref).Distinct().ToList();
            if (bare.Count > 0)
            {
                yield return new AnalysisMessage(AnalysisCode.IstioMutualWithoutSidecar, rule.Kind, ns, rule.Metadata.Name,
                    $"{sets}, but {string.Join(", ", bare)} has no sidecar to answer the mTLS handshake: client sidecars get 503. Inject a sidecar there, or remove the tls block to let auto mTLS send plaintext to it.");
            }
        }
        if (endpoints.Any(e => e.Workload.HasSidecar) && endpoints.Any(e => !e.Workload.HasSidecar))
        {
            yield return new AnalysisMessage(AnalysisCode.ExplicitTlsForMixedEndpoints, rule.Kind, ns, rule.Metadata.Name,
                $"{sets}, whose endpoints mix pods with and without a sidecar; an explicit mode applies to all of them, where auto mTLS would choose per endpoint. Remove the tls block unless every endpoint should get {ClientTls.Text(mode)}.");
        }
    }
}

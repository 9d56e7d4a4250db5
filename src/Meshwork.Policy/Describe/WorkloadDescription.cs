using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol.Authorization;

namespace Meshwork.Policy;

/// <summary>A Service port that reaches the workload, and the workload port it targets.</summary>
public sealed record DescribedServicePort(ServiceTarget Target, int TargetPort);

/// <summary>A DestinationRule that governs traffic to one of the workload's Service ports, and the tls it sets there.</summary>
/// <param name="TlsMode">ISTIO_MUTUAL, DISABLE, SIMPLE, MUTUAL, or null when it sets none (auto mTLS decides).</param>
public sealed record DescribedDestinationRule(ResolvedDestinationRule Rule, int ServicePort, string? TlsMode, string Field);

/// <summary>
/// What <c>x describe pod</c> shows about one workload, as policy decides it: its Services, the effective
/// PeerAuthentication (workload level, and each port that differs), the DestinationRules that apply to its
/// Services, and the AuthorizationPolicies its sidecar enforces.
/// </summary>
public sealed record WorkloadDescription(
    Workload Workload,
    string Identity,
    ImmutableArray<DescribedServicePort> Services,
    MtlsDecision WorkloadMtls,
    ImmutableSortedDictionary<int, MtlsDecision> PortMtls,
    ImmutableArray<DescribedDestinationRule> DestinationRules,
    ImmutableArray<AuthzPolicy> AuthorizationPolicies)
{
    /// <summary>The services its sidecar is told about (Istio's Sidecar resource) and what it does with traffic to any other host.</summary>
    public required Sidecars.SidecarScope Scope { get; init; }

    /// <summary>A port no portLevelMtls can name (ports are 1-65535), so its decision is the workload-level one.</summary>
    private const int NoPort = 0;

    public static WorkloadDescription Of(MeshState mesh, Workload workload)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(workload);
        var services = ImmutableArray.CreateBuilder<DescribedServicePort>();
        foreach (var service in mesh.Services)
        {
            if ((service.Metadata.Namespace ?? "default") != workload.Namespace || service.Spec.Selector.IsEmpty || !service.Spec.Selector.Matches(workload.Labels)) continue;
            foreach (var port in service.Spec.Ports)
            {
                if (ServiceResolver.TargetPort(port, workload) is int target) services.Add(new DescribedServicePort(new ServiceTarget(service, port), target));
            }
        }

        var workloadMtls = InboundMtls.Effective(mesh, workload, NoPort);
        var ports = workload.Ports.Concat(services.Select(s => s.TargetPort)).Distinct().Order();
        var portMtls = ImmutableSortedDictionary.CreateBuilder<int, MtlsDecision>();
        foreach (var port in ports)
        {
            var decision = InboundMtls.Effective(mesh, workload, port);
            if (decision.Mode != workloadMtls.Mode || decision.Source != workloadMtls.Source) portMtls[port] = decision;
        }

        // As clients in the workload's own namespace see its Services (ISTIO-SEMANTICS §2.4).
        var rules = ImmutableArray.CreateBuilder<DescribedDestinationRule>();
        foreach (var service in services)
        {
            if (DestinationRuleLookup.Find(mesh, workload.Namespace, service.Target) is not { } rule) continue;
            var tls = DestinationRuleLookup.ResolveTls(rule, service.Target.Port.Port, subset: null);
            rules.Add(new DescribedDestinationRule(rule, service.Target.Port.Port, tls.Tls is null ? null : ClientTls.Text(ClientTls.ToUpstream(tls.Tls.Mode)), tls.Field));
        }

        var policies = new List<AuthzPolicy>();
        foreach (var port in ports)
        {
            foreach (var policy in AuthorizationResolver.ForPort(mesh, workload, port, isHttp: true))
            {
                if (!policies.Any(p => p.Name == policy.Name)) policies.Add(policy);
            }
        }

        return new WorkloadDescription(workload, workload.HasSidecar ? SecureNaming.IdentityOf(mesh, workload).Uri : "",
            services.ToImmutable(), workloadMtls, portMtls.ToImmutable(), rules.ToImmutable(), [.. policies])
        {
            Scope = Sidecars.SidecarScope.For(mesh, workload.Namespace, workload.Labels),
        };
    }
}

using System.Collections.Immutable;
using Meshwork.ControlPlane.Ca;
using Meshwork.Model.Mesh;
using Meshwork.Policy;

namespace Meshwork.ControlPlane.Dashboard;

/// <summary>One workload port's effective inbound mTLS mode and the resource that decided it.</summary>
public sealed record PortMtlsView(int Port, string Mode, string DecidedBy);

/// <summary>A DestinationRule that governs clients' TLS towards one of the workload's Service ports.</summary>
/// <param name="TlsMode">The mode it sets, or null when it sets none (auto mTLS decides).</param>
public sealed record DestinationRuleView(string Name, int ServicePort, string? TlsMode);

/// <summary>
/// The dashboard's workload page and edge panel: the workload's identity, the certificate the CA last issued
/// it, its effective mTLS mode per port with the PeerAuthentication that decided each, and the DestinationRules
/// that decide its clients' TLS, all as the policy engine resolves them.
/// </summary>
public sealed record WorkloadView(
    string Namespace, string Name, bool Sidecar, string SpiffeId, string Mode, string DecidedBy,
    ImmutableArray<PortMtlsView> Ports, ImmutableArray<DestinationRuleView> DestinationRules, IssuedCertificate? Certificate)
{
    /// <summary>The view of deployment <paramref name="name"/> in <paramref name="namespace"/>, or null when there is none.</summary>
    public static WorkloadView? Of(MeshState mesh, IssuedCertificates issued, string @namespace, string name)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(issued);
        var workload = Workload.AllFromDeployments(mesh).FirstOrDefault(w => w.Namespace == @namespace && w.Name == name);
        if (workload is null) return null;
        var description = WorkloadDescription.Of(mesh, workload);
        var ports = workload.Ports.Concat(description.Services.Select(s => s.TargetPort)).Distinct().Order()
            .Select(port => description.PortMtls.TryGetValue(port, out var own) ? (port, own) : (port, description.WorkloadMtls))
            .Select(p => new PortMtlsView(p.port, Text(p.Item2.Mode), p.Item2.Source))
            .ToImmutableArray();
        return new WorkloadView(workload.Namespace, workload.Name, workload.HasSidecar, description.Identity,
            Text(description.WorkloadMtls.Mode), description.WorkloadMtls.Source, ports,
            [.. description.DestinationRules.Select(r => new DestinationRuleView(r.Rule.Name, r.ServicePort, r.TlsMode))],
            description.Identity.Length > 0 ? issued.Find(description.Identity) : null);
    }

    private static string Text(ProxyProtocol.Snapshots.InboundTlsMode mode) => mode.ToString().ToUpperInvariant();
}

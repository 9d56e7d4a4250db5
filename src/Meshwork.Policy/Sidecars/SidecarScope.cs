using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy.Sidecars;

/// <summary>One egress host with its namespace resolved: a namespace, <c>*</c> (any) or <c>~</c> (none); and <c>*</c>, an FQDN or <c>*.suffix</c>.</summary>
public readonly record struct EgressHost(string Namespace, string DnsName)
{
    public bool Matches(string serviceNamespace, string hostname)
    {
        if (Namespace == "~") return false;
        if (Namespace != "*" && Namespace != serviceNamespace) return false;
        if (DnsName == "*") return true;
        // "*.suffix" matches any host ending in ".suffix" (Istio's wildcard hosts), else exact.
        return DnsName.StartsWith("*.", StringComparison.Ordinal)
            ? hostname.EndsWith(DnsName[1..], StringComparison.Ordinal)
            : string.Equals(DnsName, hostname, StringComparison.Ordinal);
    }

    public override string ToString() => $"{Namespace}/{DnsName}";
}

/// <summary>
/// The services one sidecar is told about and what it does with traffic to anything else, decided
/// as Istio decides them: the Sidecar of the workload's namespace whose workloadSelector selects it,
/// else that namespace's Sidecar without selector, else the root namespace's Sidecar without
/// selector (the mesh-wide default), else no scope (every Service). <c>.</c> in an egress host is
/// the namespace the scope is applied to: the workload's own, also for the root-namespace default.
/// The mode is the Sidecar's outboundTrafficPolicy, else the mesh config's (ALLOW_ANY by default).
/// </summary>
public sealed record SidecarScope
{
    /// <summary>The Sidecar in force ("ns/name"); null when none applies and every Service is in scope.</summary>
    public string? Sidecar { get; init; }
    /// <summary>Why this Sidecar: "workload selector", "namespace default" or "root namespace default".</summary>
    public string? SidecarReason { get; init; }
    /// <summary>The egress hosts in force, namespaces resolved; empty when <see cref="Sidecar"/> is null.</summary>
    public ImmutableArray<EgressHost> Hosts { get; init; } = [];
    public OutboundTrafficMode Mode { get; init; }
    /// <summary>"Sidecar ns/name", "mesh config" or "default".</summary>
    public required string ModeSource { get; init; }

    /// <summary>True when a Service of <paramref name="serviceNamespace"/> named <paramref name="hostname"/> (its FQDN) is in scope.</summary>
    public bool Includes(string serviceNamespace, string hostname)
    {
        if (Sidecar is null) return true;
        foreach (var host in Hosts)
        {
            if (host.Matches(serviceNamespace, hostname)) return true;
        }
        return false;
    }

    /// <summary>The scope of a sidecar of a workload in <paramref name="workloadNamespace"/> with <paramref name="labels"/>.</summary>
    public static SidecarScope For(MeshState mesh, string workloadNamespace, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(labels);
        var (sidecar, reason) = Select(mesh, workloadNamespace, labels);
        var (mode, modeSource) = sidecar?.Spec.OutboundTrafficPolicy is { } own
            ? (own, $"Sidecar {Name(sidecar)}")
            : (mesh.Mesh.OutboundTrafficPolicy, mesh.Mesh.OutboundTrafficPolicySet ? "mesh config" : "default");
        if (sidecar is null || sidecar.Spec.Egress.IsEmpty)
        {
            // A Sidecar with only an outboundTrafficPolicy leaves every Service in scope, as Istio does.
            return new SidecarScope { Sidecar = null, SidecarReason = null, Mode = mode, ModeSource = modeSource };
        }
        var hosts = sidecar.Spec.Egress.SelectMany(e => e.Hosts).Select(h => Resolve(h, workloadNamespace)).Distinct().ToImmutableArray();
        return new SidecarScope { Sidecar = Name(sidecar), SidecarReason = reason, Hosts = hosts, Mode = mode, ModeSource = modeSource };
    }

    private static (Sidecar? Sidecar, string? Reason) Select(MeshState mesh, string workloadNamespace, IReadOnlyDictionary<string, string> labels)
    {
        // Istio leaves two matching Sidecars undefined; the oldest (then the first by name) wins here, so the choice is stable.
        var inNamespace = Age.OldestFirst(mesh.Sidecars.Where(s => s.Metadata.Namespace == workloadNamespace));
        if (inNamespace.FirstOrDefault(s => s.Spec.WorkloadSelector is { } selector && selector.Matches(labels)) is { } selected) return (selected, "workload selector");
        if (inNamespace.FirstOrDefault(s => s.Spec.WorkloadSelector is null) is { } namespaceDefault) return (namespaceDefault, "namespace default");
        var root = mesh.Mesh.RootNamespace;
        if (Age.Oldest(mesh.Sidecars.Where(s => s.Metadata.Namespace == root && s.Spec.WorkloadSelector is null).ToList()) is { } meshDefault)
        {
            return (meshDefault, "root namespace default");
        }
        return (null, null);
    }

    private static EgressHost Resolve(string host, string workloadNamespace)
    {
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        // Validation refuses hosts without "ns/"; one that got here anyway selects nothing (fails closed).
        if (slash < 0) return new EgressHost("~", "*");
        var ns = host[..slash];
        return new EgressHost(ns == "." ? workloadNamespace : ns, host[(slash + 1)..]);
    }

    private static string Name(Sidecar sidecar) => $"{sidecar.Metadata.Namespace}/{sidecar.Metadata.Name}";
}

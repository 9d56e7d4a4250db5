using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

/// <summary>Istio's outboundTrafficPolicy mode: what a sidecar does with traffic to a host it does not know.</summary>
public enum OutboundTrafficMode
{
    /// <summary>Passed through to the original destination, as plaintext TCP (Istio's PassthroughCluster). Istio's default.</summary>
    AllowAny,
    /// <summary>Refused (Istio's BlackHoleCluster): only hosts in the sidecar's scope are reachable.</summary>
    RegistryOnly,
}

/// <summary>One egress listener of a Sidecar: the hosts (<c>namespace/dnsName</c>) the proxy is told about.</summary>
public sealed record SidecarEgress
{
    /// <summary><c>ns/host</c>: ns is a namespace, <c>.</c> (the Sidecar's), <c>*</c> (any) or <c>~</c> (none); host is <c>*</c>, an FQDN or <c>*.suffix</c>.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];

    /// <summary>Structural: lists compare by content.</summary>
    public bool Equals(SidecarEgress? other) => other is not null && Equality.Seq(Hosts, other.Hosts);

    public override int GetHashCode() => Equality.Hash(Hosts);
}

public sealed record SidecarSpec
{
    /// <summary>The workloads of the Sidecar's namespace it applies to; null: every workload of the namespace without a more specific one.</summary>
    public LabelSelector? WorkloadSelector { get; init; }
    public ImmutableArray<SidecarEgress> Egress { get; init; } = [];
    /// <summary>Null: the mesh config's mode applies.</summary>
    public OutboundTrafficMode? OutboundTrafficPolicy { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(SidecarSpec? other) =>
        other is not null
            && WorkloadSelector == other.WorkloadSelector
            && Equality.Seq(Egress, other.Egress)
            && OutboundTrafficPolicy == other.OutboundTrafficPolicy;

    public override int GetHashCode() => HashCode.Combine(WorkloadSelector, Equality.Hash(Egress), OutboundTrafficPolicy);
}

/// <summary>
/// Istio's Sidecar (networking.istio.io): limits the services a sidecar is told about to its egress
/// hosts, and sets what it does with traffic to anything else. Meshwork reads the egress hosts,
/// the workload selector and outboundTrafficPolicy; ingress listeners and per-port egress listeners
/// are reported as not supported.
/// </summary>
public sealed record Sidecar : Resource
{
    public override string Kind => "Sidecar";
    public required SidecarSpec Spec { get; init; }
}

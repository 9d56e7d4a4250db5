using System.Collections.Immutable;

using Meshwork.Model.Resources;

namespace Meshwork.Model.Mesh;

/// <summary>
/// Mesh-wide settings, read from where Istio keeps them: ConfigMap <c>istio</c> in the root
/// namespace, key <c>mesh</c>. Absent values take Istio's defaults.
/// </summary>
public sealed record MeshConfig
{
    public static readonly MeshConfig Default = new();

    public string RootNamespace { get; init; } = "istio-system";
    public string TrustDomain { get; init; } = "cluster.local";
    public ImmutableArray<string> TrustDomainAliases { get; init; } = [];
    public bool EnableAutoMtls { get; init; } = true;
    /// <summary>outboundTrafficPolicy.mode: what sidecars do with traffic to hosts outside their scope (Istio's default ALLOW_ANY).</summary>
    public OutboundTrafficMode OutboundTrafficPolicy { get; init; } = OutboundTrafficMode.AllowAny;
    /// <summary>True when the mesh config names the mode (explanations say where it came from).</summary>
    public bool OutboundTrafficPolicySet { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(MeshConfig? other) =>
        other is not null
            && RootNamespace == other.RootNamespace
            && TrustDomain == other.TrustDomain
            && Equality.Seq(TrustDomainAliases, other.TrustDomainAliases)
            && EnableAutoMtls == other.EnableAutoMtls
            && OutboundTrafficPolicy == other.OutboundTrafficPolicy
            && OutboundTrafficPolicySet == other.OutboundTrafficPolicySet;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RootNamespace);
        hash.Add(TrustDomain);
        hash.Add(Equality.Hash(TrustDomainAliases));
        hash.Add(EnableAutoMtls);
        hash.Add(OutboundTrafficPolicy);
        return hash.ToHashCode();
    }
}

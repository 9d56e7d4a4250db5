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

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(MeshConfig? other) =>
        other is not null
            && RootNamespace == other.RootNamespace
            && TrustDomain == other.TrustDomain
            && Equality.Seq(TrustDomainAliases, other.TrustDomainAliases)
            && EnableAutoMtls == other.EnableAutoMtls;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RootNamespace);
        hash.Add(TrustDomain);
        hash.Add(Equality.Hash(TrustDomainAliases));
        hash.Add(EnableAutoMtls);
        return hash.ToHashCode();
    }
}

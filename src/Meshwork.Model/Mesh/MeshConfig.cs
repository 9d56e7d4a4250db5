using System.Collections.Immutable;

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
}

using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Mesh;

/// <summary>
/// An immutable view of all configuration at one moment: what Policy and Generation compute over.
/// Lists keep input order (file order, or store order), which breaks ties in age when
/// creationTimestamp is absent: earlier is older.
/// </summary>
public sealed record MeshState
{
    public static readonly MeshState Empty = new();

    public MeshConfig Mesh { get; init; } = MeshConfig.Default;
    public ImmutableArray<Namespace> Namespaces { get; init; } = [];
    public ImmutableArray<ServiceAccount> ServiceAccounts { get; init; } = [];
    public ImmutableArray<Service> Services { get; init; } = [];
    public ImmutableArray<Deployment> Deployments { get; init; } = [];
    public ImmutableArray<Pod> Pods { get; init; } = [];
    public ImmutableArray<ConfigMap> ConfigMaps { get; init; } = [];
    public ImmutableArray<Secret> Secrets { get; init; } = [];
    public ImmutableArray<PeerAuthentication> PeerAuthentications { get; init; } = [];
    public ImmutableArray<AuthorizationPolicy> AuthorizationPolicies { get; init; } = [];
    public ImmutableArray<DestinationRule> DestinationRules { get; init; } = [];
    public ImmutableArray<Gateway> Gateways { get; init; } = [];
    public ImmutableArray<VirtualService> VirtualServices { get; init; } = [];
    public ImmutableArray<Sidecar> Sidecars { get; init; } = [];

    /// <summary>Sorts resources into their lists and reads MeshConfig from ConfigMap istio-system/istio (key "mesh").</summary>
    public static MeshState From(IEnumerable<Resource> resources)
    {
        var all = resources.ToList();
        ImmutableArray<T> Of<T>() where T : Resource => [.. all.OfType<T>()];
        var configMaps = Of<ConfigMap>();
        return new MeshState
        {
            Mesh = MeshConfigReader.FromConfigMaps(configMaps),
            Namespaces = Of<Namespace>(),
            ServiceAccounts = Of<ServiceAccount>(),
            Services = Of<Service>(),
            Deployments = Of<Deployment>(),
            Pods = Of<Pod>(),
            ConfigMaps = configMaps,
            Secrets = Of<Secret>(),
            PeerAuthentications = Of<PeerAuthentication>(),
            AuthorizationPolicies = Of<AuthorizationPolicy>(),
            DestinationRules = Of<DestinationRule>(),
            Gateways = Of<Gateway>(),
            VirtualServices = Of<VirtualService>(),
            Sidecars = Of<Sidecar>(),
        };
    }
}

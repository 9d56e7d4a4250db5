using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meshwork.Generation.Outbound;
using Meshwork.Model.Mesh;
using Meshwork.Policy.Sidecars;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation;

/// <summary>
/// Work shared by every proxy generated from one mesh state. A client's outbound view depends
/// only on the mesh and the client's namespace (DestinationRule lookup is by namespace), so it is
/// computed once per namespace rather than once per proxy — Istio's PushContext caches the same
/// way — and the Services no DestinationRule reaches once for every namespace (<see cref="SharedOutbound"/>). Holds no clock and no I/O: generating with or without a context gives equal snapshots.
/// </summary>
public sealed class GenerationContext(MeshState mesh)
{
    private readonly ConcurrentDictionary<(string Namespace, OutboundMode Mode), Lazy<ImmutableArray<OutboundService>>> _outbound = new();

    /// <summary>Service entries that no DestinationRule makes differ between client namespaces, built once for all of them.</summary>
    private readonly SharedOutbound _sharedOutbound = new();

    private readonly Lazy<MeshIndex> _index = new(() => new MeshIndex(mesh ?? throw new ArgumentNullException(nameof(mesh))));

    public MeshState Mesh { get; } = mesh ?? throw new ArgumentNullException(nameof(mesh));

    /// <summary>The trust domain and its aliases, without repeats: one array for every proxy, so that it is hashed once.</summary>
    internal ImmutableArray<string> TrustDomains => _trustDomains.Value;

    private readonly Lazy<ImmutableArray<string>> _trustDomains = new(() =>
        [mesh.Mesh.TrustDomain, .. mesh.Mesh.TrustDomainAliases.Where(a => a != mesh.Mesh.TrustDomain).Distinct(StringComparer.Ordinal)]);

    /// <summary>Pods and Deployments indexed by label, built once for every proxy of this mesh state.</summary>
    internal MeshIndex Index => _index.Value;

    private readonly ConcurrentDictionary<string, Lazy<ImmutableArray<VirtualHostRoutes>>> _meshRoutes = new();

    /// <summary>The VirtualService routes sidecars in <paramref name="clientNamespace"/> apply (they depend on the namespace only, through exportTo).</summary>
    internal ImmutableArray<VirtualHostRoutes> MeshRoutes(string clientNamespace)
        => _meshRoutes.GetOrAdd(clientNamespace, ns => new Lazy<ImmutableArray<VirtualHostRoutes>>(() => Routing.MeshRouteBuilder.Build(Mesh, ns))).Value;

    private readonly ConcurrentDictionary<(string Namespace, string Sidecar), Lazy<ImmutableArray<OutboundService>>> _scoped = new();

    /// <summary>
    /// A sidecar's outbound services limited to its Sidecar scope: one array per (client namespace, Sidecar), shared by
    /// every proxy it applies to, so that it is encoded and diffed once. Every Service when no Sidecar applies.
    /// </summary>
    internal ImmutableArray<OutboundService> Outbound(string clientNamespace, SidecarScope scope)
    {
        var all = Outbound(clientNamespace, OutboundMode.Mesh);
        if (scope.Sidecar is not { } sidecar) return all;
        // "." resolves to the client namespace, so (namespace, Sidecar) decides the hosts.
        return _scoped.GetOrAdd((clientNamespace, sidecar), _ =>
            new Lazy<ImmutableArray<OutboundService>>(() => _sharedOutbound.Intern([.. all.Where(s => scope.Includes(s.Namespace, s.Hostname))]))).Value;
    }

    internal ImmutableArray<OutboundService> Outbound(string clientNamespace, OutboundMode mode)
        // The plain network sees every namespace alike.
        => _outbound.GetOrAdd((mode == OutboundMode.PlainNetwork ? "" : clientNamespace, mode), key =>
            new Lazy<ImmutableArray<OutboundService>>(() => _sharedOutbound.Intern(OutboundBuilder.Build(Index, key.Namespace, key.Mode, _sharedOutbound)))).Value;
}

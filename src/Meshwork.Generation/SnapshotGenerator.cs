using System.Collections.Immutable;
using Meshwork.Generation.Gateway;
using Meshwork.Generation.Hashing;
using Meshwork.Generation.Inbound;
using Meshwork.Generation.Outbound;
using Meshwork.Model.Mesh;
using Meshwork.Policy.Sidecars;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation;

/// <summary>
/// The one entry point of configuration generation: a pure function from who the proxy is and
/// what the mesh looks like to the snapshot that proxy runs. Nothing here reads a clock, a file or
/// a socket, so that equal inputs always give equal snapshots (and equal versions).
/// </summary>
public static class SnapshotGenerator
{
    public static ProxySnapshot Generate(ProxyRegistration proxy, MeshState mesh, ImmutableArray<string> trustBundlePem)
        => Generate(proxy, new GenerationContext(mesh), trustBundlePem);

    /// <summary>The same, sharing per-mesh work with the other proxies generated from <paramref name="context"/>.</summary>
    public static ProxySnapshot Generate(ProxyRegistration proxy, GenerationContext context, ImmutableArray<string> trustBundlePem)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(context);
        var mesh = context.Mesh;
        var trustBundle = trustBundlePem.IsDefault ? [] : trustBundlePem;
        var trustDomains = context.TrustDomains;

        var node = NodeBuilder.Build(proxy, context.Index);
        var scope = proxy.Role == ProxyRole.Sidecar ? SidecarScope.For(mesh, proxy.Namespace, proxy.Labels) : null;
        var workload = InboundBuilder.ProxyWorkload(proxy);
        var snapshot = proxy.Role switch
        {
            ProxyRole.Sidecar => new ProxySnapshot
            {
                Version = "",
                Node = node,
                Inbound = InboundBuilder.Build(proxy, context.Index, workload),
                InboundPassthrough = InboundBuilder.BuildPassthrough(context.Index, workload),
                Outbound = context.Outbound(proxy.Namespace, scope!),
                Scope = OutboundScopes.Of(scope!),
                HttpRoutes = context.MeshRoutes(proxy.Namespace),
                TrustBundle = trustBundle,
                TrustDomains = trustDomains,
            },
            ProxyRole.Gateway => new ProxySnapshot
            {
                Version = "",
                Node = node,
                Outbound = context.Outbound(proxy.Namespace, OutboundMode.Mesh),
                Gateways = GatewayBuilder.Build(proxy, mesh),
                TrustBundle = trustBundle,
                TrustDomains = trustDomains,
            },
            // The plain network has no identity: it never terminates or originates TLS, so it
            // gets neither roots nor trust domains it could misuse.
            ProxyRole.Network => new ProxySnapshot
            {
                Version = "",
                Node = node,
                Outbound = context.Outbound(proxy.Namespace, OutboundMode.PlainNetwork),
                TrustDomains = [],
            },
            _ => throw new ArgumentOutOfRangeException(nameof(proxy), proxy.Role, "unknown proxy role"),
        };
        return snapshot with { Version = SnapshotVersion.Compute(snapshot) };
    }
}

using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Outbound;

internal enum OutboundMode
{
    /// <summary>A mesh client (sidecar, gateway): per-endpoint TLS decided by policy, secure naming.</summary>
    Mesh,
    /// <summary>The plain network (kube-proxy's stand-in): plaintext to every endpoint, no identities.</summary>
    PlainNetwork,
}

/// <summary>
/// Every Service of the mesh, in every namespace, with its ports and their endpoints, as Kubernetes
/// DNS and kube-proxy would give them to a client in <c>clientNamespace</c>.
/// </summary>
internal static class OutboundBuilder
{
    private const string PlainNetworkSource = "plain network (no sidecar)";

    /// <summary>
    /// The outbound list of a client in <paramref name="clientNamespace"/>; with <paramref name="shared"/>, the entries no
    /// DestinationRule reaches are taken from (or put in) the ones every namespace shares.
    /// </summary>
    public static ImmutableArray<OutboundService> Build(MeshIndex index, string clientNamespace, OutboundMode mode, SharedOutbound? shared = null)
    {
        var mesh = index.Mesh;
        var services = ImmutableArray.CreateBuilder<OutboundService>();
        foreach (var service in mesh.Services
            .Where(s => s.Metadata.Namespace is not null)
            .OrderBy(s => s.Metadata.Namespace, StringComparer.Ordinal)
            .ThenBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            services.Add(shared is not null && mode == OutboundMode.Mesh && SharedOutbound.NoDestinationRule(mesh, clientNamespace, service)
                ? shared.GetOrBuild(service, (index, clientNamespace), static (state, s) => BuildService(state.index, state.clientNamespace, OutboundMode.Mesh, s))
                : BuildService(index, clientNamespace, mode, service));
        }
        return services.ToImmutable();
    }

    private static OutboundService BuildService(MeshIndex index, string clientNamespace, OutboundMode mode, Service service)
    {
        var pods = EndpointSelector.Select(index, service);
        return new OutboundService
        {
            Name = service.Metadata.Name,
            Namespace = service.Metadata.Namespace!,
            Hostname = WorkloadNames.Hostname(service),
            // "None" is a headless Service: no virtual address, clients dial the pods.
            ClusterIp = service.Spec.ClusterIp is { } ip && !string.Equals(ip, "None", StringComparison.Ordinal) ? ip : null,
            Ports = [.. service.Spec.Ports.OrderBy(p => p.Port).Select(p => BuildPort(index, clientNamespace, mode, service, p, pods))],
        };
    }

    private static OutboundPort BuildPort(MeshIndex index, string clientNamespace, OutboundMode mode, Service service, ServicePort port, ImmutableArray<SelectedPod> pods)
    {
        var target = new ServiceTarget(service, port);
        var all = BuildEndpoints(index, clientNamespace, mode, target, pods, subset: null);
        var subsets = ImmutableArray<OutboundSubset>.Empty;
        if (mode == OutboundMode.Mesh && DestinationRuleLookup.Find(index.Mesh, clientNamespace, target) is { Subsets.IsEmpty: false } rule)
        {
            subsets = [.. rule.Subsets.Select(s =>
            {
                var members = pods.Where(p => s.Labels.All(l => p.Pod.Metadata.Labels.GetValueOrDefault(l.Key) == l.Value)).ToImmutableArray();
                var built = BuildEndpoints(index, clientNamespace, mode, target, members, s.Name);
                return new OutboundSubset { Name = s.Name, Endpoints = built.Endpoints, AcceptedIdentities = built.AcceptedIdentities, TlsSource = built.TlsSource, Sni = built.Sni };
            })];
        }
        return new OutboundPort
        {
            Port = port.Port,
            Name = port.Name,
            Protocol = WorkloadNames.WireProtocol(port),
            Endpoints = all.Endpoints,
            AcceptedIdentities = all.AcceptedIdentities,
            TlsSource = all.TlsSource,
            Sni = all.Sni,
            Subsets = subsets,
        };
    }

    private sealed record BuiltEndpoints(ImmutableArray<UpstreamEndpoint> Endpoints, ImmutableArray<string> AcceptedIdentities, string TlsSource, string? Sni);

    /// <summary>The endpoints of <paramref name="pods"/> for one service port (or one subset of it), each with the client TLS policy decided for it.</summary>
    private static BuiltEndpoints BuildEndpoints(MeshIndex index, string clientNamespace, OutboundMode mode, ServiceTarget target, ImmutableArray<SelectedPod> pods, string? subset)
    {
        var mesh = index.Mesh;
        var port = target.Port;
        var endpoints = ImmutableArray.CreateBuilder<UpstreamEndpoint>();
        string? tlsSource = null;
        string? sni = null;
        foreach (var pod in pods)
        {
            if (WorkloadNames.ResolveTargetPort(port, pod.Pod.Spec.Containers) is not int targetPort) continue;
            UpstreamTlsMode tls;
            if (mode == OutboundMode.PlainNetwork)
            {
                tls = UpstreamTlsMode.Disable;
                tlsSource = PlainNetworkSource;
            }
            else
            {
                var decision = ClientTls.Decide(mesh, clientNamespace, target, Workload.FromPod(pod.Pod), targetPort, subset, explain: false);
                tls = decision.Mode;
                // A DestinationRule decides for every endpoint alike; auto mTLS differs per endpoint,
                // and then the port's source stays "auto".
                if (tlsSource is null || tlsSource == "auto") tlsSource = decision.Source;
                sni ??= decision.Sni;
            }
            endpoints.Add(new UpstreamEndpoint
            {
                Address = pod.Address,
                Port = targetPort,
                Tls = tls,
                Ready = pod.Ready,
                Pod = pod.Pod.Metadata.Name,
                Workload = pod.Workload,
                Namespace = pod.Pod.Metadata.Namespace,
                ServiceAccount = mode == OutboundMode.PlainNetwork ? null : pod.Pod.Spec.ServiceAccountName,
                App = pod.Pod.Metadata.Labels.GetValueOrDefault("app"),
                Version = pod.Pod.Metadata.Labels.GetValueOrDefault("version"),
            });
        }

        var usesMeshMtls = endpoints.Any(e => e.Tls == UpstreamTlsMode.IstioMutual);
        return new BuiltEndpoints(
            endpoints.ToImmutable(),
            usesMeshMtls
                ? [.. SecureNaming.AcceptedIdentities(ScopedToService(index, target), clientNamespace, target, subset).Identities.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]
                : [],
            tlsSource ?? (mode == OutboundMode.PlainNetwork ? PlainNetworkSource : "auto"),
            sni);
    }

    /// <summary>
    /// The mesh with only the pods secure naming would pick for <paramref name="target"/> (its
    /// namespace, its selector), in mesh order, so that it does not scan every pod for every Service
    /// port. Only called with a mesh-mTLS endpoint selected, so the list is never empty and secure
    /// naming resolves endpoints from pods exactly as it would over the whole mesh.
    /// </summary>
    private static MeshState ScopedToService(MeshIndex index, ServiceTarget target)
        => index.Mesh with { Pods = [.. index.PodsSelectedBy(target.Namespace, target.Service.Spec.Selector)] };
}

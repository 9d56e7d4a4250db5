using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Inbound;

/// <summary>
/// One inbound port per workload port the sidecar registered: its effective mTLS mode
/// (PeerAuthentication precedence, keyed by the container port as portLevelMtls is), its protocol
/// from the Services that target it, and the authorization already resolved for it.
/// </summary>
internal static class InboundBuilder
{
    public static ImmutableArray<InboundPort> Build(ProxyRegistration proxy, MeshIndex index, Workload workload)
    {
        var mesh = index.Mesh;
        var containers = WorkloadNames.Containers(index, proxy.Namespace, proxy.Pod, proxy.Labels);
        var targeting = ServicesTargeting(proxy, index, containers);

        var ports = ImmutableArray.CreateBuilder<InboundPort>();
        foreach (var port in proxy.Ports.Distinct().Order())
        {
            var services = targeting.Where(t => t.TargetPort == port).ToList();
            // Istio treats a port as opaque only when a Service declares it so; everything else is
            // sniffed, and Meshwork's sniffing serves HTTP.
            var isTcp = services.Count > 0 && services.Any(s => s.Protocol == "tcp");
            var mtls = InboundMtls.Effective(mesh, workload, port, explain: false);
            ports.Add(new InboundPort
            {
                Port = port,
                Protocol = isTcp ? "tcp" : "http",
                Mode = mtls.Mode,
                ModeSource = mtls.Source,
                Authorization = AuthorizationResolver.ForPort(mesh, workload, port, isHttp: !isTcp),
                Services = [.. services.Select(s => s.Hostname).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            });
        }
        return ports.ToImmutable();
    }

    /// <summary>
    /// What a captured connection to a port the sidecar does not declare meets (Istio's InboundPassthrough chains,
    /// the "port 0" of PeerAuthentication composition): the workload-level mode, so STRICT refuses plaintext on every
    /// port, and the workload's authorization as TCP (port conditions are evaluated against the real port at the proxy).
    /// </summary>
    public static InboundPort BuildPassthrough(MeshIndex index, Workload workload)
    {
        var mesh = index.Mesh;
        var mtls = InboundMtls.Effective(mesh, workload, PassthroughPort, explain: false);
        return new InboundPort
        {
            Port = PassthroughPort,
            Protocol = "tcp",
            Mode = mtls.Mode,
            ModeSource = mtls.Source,
            Authorization = AuthorizationResolver.ForPort(mesh, workload, PassthroughPort, isHttp: false),
        };
    }

    /// <summary>No PeerAuthentication port key is 0 (keys are 1–65535), so port 0 yields the workload-level mode.</summary>
    private const int PassthroughPort = 0;

    /// <summary>The workload as policy sees it, from what the authenticated proxy registered.</summary>
    public static Workload ProxyWorkload(ProxyRegistration proxy) => new()
    {
        Namespace = proxy.Namespace,
        Name = proxy.Pod,
        Labels = proxy.Labels,
        ServiceAccount = proxy.ServiceAccount ?? "default",
        HasSidecar = proxy.Role == ProxyRole.Sidecar,
        Ports = proxy.Ports,
    };

    private readonly record struct Targeting(string Hostname, int TargetPort, string Protocol);

    /// <summary>Services of the proxy's namespace whose selector picks this pod, one entry per Service port.</summary>
    private static List<Targeting> ServicesTargeting(ProxyRegistration proxy, MeshIndex index, ImmutableArray<Container> containers)
    {
        var result = new List<Targeting>();
        foreach (var service in index.ServicesIn(proxy.Namespace))
        {
            // A Service without a selector has hand-written endpoints (none in Meshwork): it targets no pod.
            if (service.Spec.Selector.IsEmpty || !service.Spec.Selector.Matches(proxy.Labels)) continue;
            foreach (var port in service.Spec.Ports)
            {
                if (WorkloadNames.ResolveTargetPort(port, containers) is int target)
                {
                    result.Add(new Targeting(WorkloadNames.Hostname(service), target, WorkloadNames.WireProtocol(port)));
                }
            }
        }
        return result;
    }
}

using System.Collections.Immutable;
using System.Net;
using Meshwork.Model.Resources;

namespace Meshwork.Runtime.Network;

/// <summary>A running pod as Service routing needs it.</summary>
public sealed record PodEndpoint(string Namespace, IReadOnlyDictionary<string, string> Labels, IPAddress PodIp, ImmutableArray<Container> Containers);

/// <summary>
/// What cluster DNS and kube-proxy know, computed from the Services and the running pods: the names
/// every pod's hosts file lists, and clusterIP:port → endpoints for pods without a sidecar.
/// </summary>
public sealed record ServiceDirectory(ImmutableArray<ServiceName> Names, ImmutableArray<ServiceRoute> Routes)
{
    public static ServiceDirectory Build(IEnumerable<Service> services, IReadOnlyCollection<PodEndpoint> pods)
    {
        var names = ImmutableArray.CreateBuilder<ServiceName>();
        var routes = ImmutableArray.CreateBuilder<ServiceRoute>();
        foreach (var service in services)
        {
            if (!IPAddress.TryParse(service.Spec.ClusterIp, out var clusterIp)) continue;
            var ns = service.Metadata.Namespace ?? "default";
            names.Add(new ServiceName(ns, service.Metadata.Name, clusterIp));
            if (service.Spec.Selector.IsEmpty) continue;
            var selected = pods.Where(p => p.Namespace == ns && service.Spec.Selector.Matches(p.Labels)).ToList();
            foreach (var port in service.Spec.Ports.Where(p => p.Protocol == "TCP"))
            {
                var endpoints = selected
                    .Select(p => TargetPort(port, p.Containers) is int target ? new IPEndPoint(p.PodIp, target) : null)
                    .OfType<IPEndPoint>()
                    .ToImmutableArray();
                routes.Add(new ServiceRoute { ClusterIp = clusterIp, Port = port.Port, Endpoints = endpoints });
            }
        }
        return new ServiceDirectory(names.ToImmutable(), routes.ToImmutable());
    }

    /// <summary>targetPort as a number, a container port's name, or (absent) the Service port itself.</summary>
    private static int? TargetPort(ServicePort port, ImmutableArray<Container> containers)
    {
        if (port.TargetPort is null) return port.Port;
        if (port.TargetPort.Number is int number) return number;
        return containers.SelectMany(c => c.Ports.IsDefault ? [] : c.Ports).FirstOrDefault(p => p.Name == port.TargetPort.Name)?.Port;
    }
}

using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>A Service and one of its ports, found from a host name the way Kubernetes DNS resolves it.</summary>
public sealed record ServiceTarget(Service Service, ServicePort Port)
{
    public const string ClusterDomain = "svc.cluster.local";

    public string Hostname => $"{Service.Metadata.Name}.{Namespace}.{ClusterDomain}";
    public string Namespace => Service.Metadata.Namespace ?? "default";

    /// <summary>L7 (HTTP/1.1, h2, gRPC) unless the port is declared as TCP, TLS or HTTPS (then L4). Undeclared protocols are sniffed as HTTP.</summary>
    public bool IsHttp => !ProtocolSniffing.IsOpaque(Port.MeshProtocol);
}

public static class ServiceResolver
{
    /// <summary>Resolves name, name.ns, name.ns.svc, name.ns.svc.cluster.local (relative to the client's namespace) and a port.</summary>
    public static ServiceTarget? Resolve(MeshState mesh, string clientNamespace, string host, int port)
    {
        var service = ResolveService(mesh, clientNamespace, host);
        if (service is null) return null;
        foreach (var servicePort in service.Spec.Ports)
        {
            if (servicePort.Port == port) return new ServiceTarget(service, servicePort);
        }
        return null;
    }

    /// <summary>The Service a DNS name means for a client in <paramref name="clientNamespace"/>, whatever port is asked for.</summary>
    public static Service? ResolveService(MeshState mesh, string clientNamespace, string host)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(host);
        if (!TrySplitHost(host, clientNamespace, out var name, out var ns)) return null;
        foreach (var service in mesh.Services)
        {
            if (string.Equals(service.Metadata.Name, name, StringComparison.OrdinalIgnoreCase)
                && string.Equals(service.Metadata.Namespace ?? "default", ns, StringComparison.OrdinalIgnoreCase))
            {
                return service;
            }
        }
        return null;
    }

    /// <summary>Splits a Kubernetes DNS name into service name and namespace, as the pod's resolv.conf search list would.</summary>
    public static bool TrySplitHost(string host, string clientNamespace, out string name, out string @namespace)
    {
        var h = host.Trim().TrimEnd('.').ToLowerInvariant();
        name = "";
        @namespace = clientNamespace;
        if (h.Length == 0) return false;
        if (h.EndsWith("." + ServiceTarget.ClusterDomain, StringComparison.Ordinal)) h = h[..^(ServiceTarget.ClusterDomain.Length + 1)];
        else if (h.EndsWith(".svc", StringComparison.Ordinal)) h = h[..^4];
        var parts = h.Split('.');
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                return true;
            case 2:
                name = parts[0];
                @namespace = parts[1];
                return name.Length > 0 && @namespace.Length > 0;
            default:
                return false;
        }
    }

    /// <summary>The workloads (pods, or deployments offline) a Service selects, with the container port its port targets.</summary>
    public static ImmutableArray<(Workload Workload, int TargetPort)> Endpoints(MeshState mesh, ServiceTarget target)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(target);
        var selector = target.Service.Spec.Selector;
        var result = ImmutableArray.CreateBuilder<(Workload, int)>();
        // A Service without a selector has no managed endpoints (Kubernetes leaves them to the user).
        if (selector.IsEmpty) return result.ToImmutable();
        var ns = target.Namespace;

        IEnumerable<Workload> candidates;
        if (mesh.Pods.IsDefaultOrEmpty)
        {
            var list = new List<Workload>();
            foreach (var d in mesh.Deployments)
            {
                if ((d.Metadata.Namespace ?? "default") == ns && selector.Matches(d.Spec.Template.Labels)) list.Add(Workload.FromDeployment(d, mesh));
            }
            candidates = list;
        }
        else
        {
            var list = new List<Workload>();
            foreach (var p in mesh.Pods)
            {
                if ((p.Metadata.Namespace ?? "default") == ns && selector.Matches(p.Metadata.Labels)) list.Add(Workload.FromPod(p));
            }
            candidates = list;
        }

        foreach (var workload in candidates)
        {
            var targetPort = TargetPort(target.Port, workload);
            if (targetPort is int p) result.Add((workload, p));
        }
        return result.ToImmutable();
    }

    /// <summary>The container port a Service port reaches on one workload; null when a named targetPort is not declared there.</summary>
    public static int? TargetPort(ServicePort port, Workload workload)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(workload);
        if (port.TargetPort is null) return port.Port;
        if (port.TargetPort.Number is int n) return n;
        if (port.TargetPort.Name is { } name && workload.NamedPorts.TryGetValue(name, out var named)) return named;
        return null;
    }

    /// <summary>The Services (and their ports) that reach <paramref name="workload"/>'s container port <paramref name="containerPort"/>.</summary>
    public static ImmutableArray<ServiceTarget> ServicesFor(MeshState mesh, Workload workload, int containerPort)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(workload);
        var result = ImmutableArray.CreateBuilder<ServiceTarget>();
        foreach (var service in mesh.Services)
        {
            if ((service.Metadata.Namespace ?? "default") != workload.Namespace) continue;
            if (service.Spec.Selector.IsEmpty || !service.Spec.Selector.Matches(workload.Labels)) continue;
            foreach (var port in service.Spec.Ports)
            {
                if (TargetPort(port, workload) == containerPort) result.Add(new ServiceTarget(service, port));
            }
        }
        return result.ToImmutable();
    }
}

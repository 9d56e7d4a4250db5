using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Generation;

/// <summary>Pod → owning workload and container ports, the way a controller's ownership would tell.</summary>
internal static class WorkloadNames
{
    /// <summary>The Deployment whose selector matches the pod's labels, else the pod's own name.</summary>
    public static string ForPod(MeshIndex mesh, string @namespace, string pod, IReadOnlyDictionary<string, string> labels)
        => mesh.OwningDeployment(@namespace, labels)?.Metadata.Name ?? pod;

    /// <summary>The containers of a pod: from the runtime-written Pod, else from its Deployment's template.</summary>
    public static ImmutableArray<Container> Containers(MeshIndex mesh, string @namespace, string pod, IReadOnlyDictionary<string, string> labels)
    {
        var running = mesh.PodNamed(@namespace, pod);
        if (running is not null) return running.Spec.Containers;
        return mesh.OwningDeployment(@namespace, labels)?.Spec.Template.Spec.Containers ?? [];
    }

    /// <summary>
    /// The container port a Service port sends to: a number as written, a name looked up among the
    /// containers' named ports, or the Service port itself when targetPort is absent (Kubernetes' rule).
    /// Null when a named port is not declared: Kubernetes then has no endpoint for that pod.
    /// </summary>
    public static int? ResolveTargetPort(ServicePort port, ImmutableArray<Container> containers)
    {
        if (port.TargetPort is null) return port.Port;
        if (port.TargetPort.Number is int number) return number;
        var name = port.TargetPort.Name;
        if (string.IsNullOrEmpty(name)) return port.Port;
        foreach (var container in containers)
        {
            foreach (var declared in container.Ports)
            {
                if (declared.Name == name) return declared.Port;
            }
        }
        return null;
    }

    /// <summary>"tcp" for Service ports whose declared protocol makes them opaque bytes, else "http".</summary>
    public static string WireProtocol(ServicePort port) => ProtocolSniffing.IsOpaque(port.MeshProtocol) ? "tcp" : "http";

    /// <summary>The cluster DNS name; the DNS domain is always cluster.local, whatever the trust domain.</summary>
    public static string Hostname(Service service) => $"{service.Metadata.Name}.{service.Metadata.Namespace}.svc.cluster.local";
}

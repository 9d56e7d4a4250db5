using System.Collections.Immutable;
using System.Net;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Generation.Outbound;

internal sealed record SelectedPod(Pod Pod, string Address, bool Ready, string Workload);

/// <summary>
/// The pods behind a Service, as the Kubernetes endpoints controller picks them: same namespace,
/// selector matches the pod's labels, the pod has an IP and has not terminated. Pods whose
/// containers are not all ready are kept, marked not ready.
/// </summary>
internal static class EndpointSelector
{
    public static ImmutableArray<SelectedPod> Select(MeshIndex mesh, Service service)
    {
        if (service.Spec.Selector.IsEmpty) return [];
        return [.. mesh.PodsSelectedBy(service.Metadata.Namespace ?? "default", service.Spec.Selector)
            .Where(p => p.Metadata.Namespace == service.Metadata.Namespace
                && !string.IsNullOrEmpty(p.Status.PodIP)
                && p.Status.Phase is not ("Succeeded" or "Failed"))
            .Select(p => new SelectedPod(
                p,
                p.Status.PodIP!,
                IsReady(p),
                WorkloadNames.ForPod(mesh, p.Metadata.Namespace!, p.Metadata.Name, p.Metadata.Labels)))
            .OrderBy(p => AddressKey(p.Address))
            .ThenBy(p => p.Address, StringComparer.Ordinal)
            .ThenBy(p => p.Pod.Metadata.Name, StringComparer.Ordinal)];
    }

    /// <summary>Ready as the endpoints controller sees it: running, with every container reporting ready.</summary>
    public static bool IsReady(Pod pod) => Meshwork.Policy.PodReadiness.IsReady(pod);

    /// <summary>Sorts IPv4 addresses numerically (127.0.0.10 after 127.0.0.9), so that output order reads naturally.</summary>
    private static UInt128 AddressKey(string address)
    {
        if (!IPAddress.TryParse(address, out var ip)) return UInt128.MaxValue;
        var bytes = ip.MapToIPv6().GetAddressBytes();
        UInt128 key = 0;
        foreach (var b in bytes) key = (key << 8) | b;
        return key;
    }
}

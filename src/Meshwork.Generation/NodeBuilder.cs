using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation;

/// <summary>Who the proxy is, in the form its metrics labels and XFCC header use.</summary>
internal static class NodeBuilder
{
    public const string CanonicalNameLabel = "service.istio.io/canonical-name";

    public static ProxyNode Build(ProxyRegistration proxy, MeshIndex index)
    {
        var mesh = index.Mesh;
        var labels = proxy.Labels;
        var workload = proxy.Workload ?? WorkloadNames.ForPod(index, proxy.Namespace, proxy.Pod, labels);
        var app = labels.GetValueOrDefault("app");
        var isNetwork = proxy.Role == ProxyRole.Network;
        var serviceAccount = isNetwork ? null : proxy.ServiceAccount ?? "default";
        return new ProxyNode
        {
            Id = ProxyIds.Of(proxy),
            Role = proxy.Role,
            Namespace = proxy.Namespace,
            Workload = workload,
            ServiceAccount = serviceAccount,
            SpiffeId = serviceAccount is null ? null : new SpiffeId(mesh.Mesh.TrustDomain, proxy.Namespace, serviceAccount).Uri,
            App = app,
            Version = labels.GetValueOrDefault("version"),
            CanonicalService = labels.GetValueOrDefault(CanonicalNameLabel) ?? app ?? workload,
        };
    }
}

/// <summary>Proxy ids are "&lt;pod&gt;.&lt;namespace&gt;", as istioctl names them.</summary>
public static class ProxyIds
{
    public static string Of(ProxyRegistration proxy) => Of(proxy.Pod, proxy.Namespace);

    public static string Of(string pod, string @namespace) => $"{pod}.{@namespace}";
}

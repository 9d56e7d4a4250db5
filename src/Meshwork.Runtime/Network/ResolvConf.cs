using System.Text;

namespace Meshwork.Runtime.Network;

/// <summary>
/// A pod's /etc/resolv.conf as the kubelet writes it for ClusterFirst pods: the search list that
/// turns `httpbin` into `httpbin.&lt;ns&gt;.svc.cluster.local`, and ndots:5 so that `httpbin.foo`
/// is tried with the search list first. Every Service name is in the pod's hosts file; no
/// nameserver is listed, so a name outside the mesh fails at once (resolv.conf(5): the resolver
/// then asks the pod's own loopback, where nothing answers) instead of waiting on one the pod
/// cannot reach.
/// </summary>
public static class ResolvConf
{
    public static string Render(string podNamespace)
    {
        var text = new StringBuilder();
        text.AppendLine($"search {podNamespace}.svc.cluster.local svc.cluster.local cluster.local");
        text.AppendLine("options ndots:5");
        return text.ToString();
    }
}

using System.Net;
using System.Text;

namespace Meshwork.Runtime.Network;

/// <summary>One Service name as cluster DNS knows it.</summary>
public sealed record ServiceName(string Namespace, string Name, IPAddress ClusterIp);

/// <summary>
/// A pod's /etc/hosts: its own name, and every Service under the names cluster DNS answers
/// (svc.ns, svc.ns.svc, svc.ns.svc.cluster.local, and the bare name in the pod's own namespace,
/// which resolv.conf's search list gives in Kubernetes).
/// </summary>
public static class HostsFile
{
    public static string Render(string podNamespace, string podName, IPAddress podIp, IEnumerable<ServiceName> services)
    {
        var text = new StringBuilder();
        text.AppendLine("127.0.0.1\tlocalhost");
        text.AppendLine("::1\tlocalhost ip6-localhost ip6-loopback");
        text.AppendLine($"{podIp}\t{podName}");
        foreach (var service in services.OrderBy(s => s.Namespace, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal))
        {
            var fqdn = $"{service.Name}.{service.Namespace}.svc.cluster.local";
            var shortName = service.Namespace == podNamespace ? $" {service.Name}" : "";
            text.AppendLine($"{service.ClusterIp}\t{fqdn} {service.Name}.{service.Namespace}.svc {service.Name}.{service.Namespace}{shortName}");
        }
        return text.ToString();
    }
}

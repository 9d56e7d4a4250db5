using System.Buffers;
using System.Net;
using System.Text.Json;
using Meshwork.ControlPlane.Registry;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// Prometheus HTTP service discovery (<c>http_sd_configs</c>): one target group per connected proxy,
/// its admin address with the labels Istio's scrape configuration attaches (namespace, pod,
/// workload). Prometheus polls this list, so a pod started later is scraped without a restart.
/// </summary>
public static class PrometheusTargets
{
    public const string Path = "/meshwork/v1/prometheus/targets";

    /// <summary>Istio's sidecars answer scrapes on this path; Meshwork's admin listener serves it too.</summary>
    public const string MetricsPath = "/stats/prometheus";

    /// <summary>The admin port a proxy serves on its pod IP when it does not say otherwise.</summary>
    public const int DefaultAdminPort = 15000;

    /// <summary>The target groups as JSON, ordered by namespace and pod so the list is stable between polls.</summary>
    public static byte[] Write(IEnumerable<ProxyConnection> proxies)
    {
        ArgumentNullException.ThrowIfNull(proxies);
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var proxy in proxies
                .OrderBy(p => p.Registration.Namespace, StringComparer.Ordinal)
                .ThenBy(p => p.Registration.Pod, StringComparer.Ordinal))
            {
                if (TargetOf(proxy.Registration) is not { } target) continue;
                json.WriteStartObject();
                json.WriteStartArray("targets");
                json.WriteStringValue(target);
                json.WriteEndArray();
                json.WriteStartObject("labels");
                json.WriteString("__metrics_path__", MetricsPath);
                json.WriteString("namespace", proxy.Registration.Namespace);
                json.WriteString("pod", proxy.Registration.Pod);
                json.WriteString("workload", proxy.Registration.Workload ?? proxy.Registration.Pod);
                json.WriteString("proxy_role", proxy.Registration.Role.ToString().ToLowerInvariant());
                json.WriteEndObject();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// "address:port" to scrape: the address the proxy registered, with its pod IP in place of a
    /// wildcard; else the pod IP and the default admin port. Null when neither parses as an IP
    /// endpoint: a proxy's say-so never becomes a host name Prometheus would resolve.
    /// </summary>
    internal static string? TargetOf(ProxyRegistration registration)
    {
        IPAddress.TryParse(registration.PodIp, out var podIp);
        if (IPEndPoint.TryParse(registration.MetricsAddress ?? "", out var registered) && registered.Port > 0)
        {
            var any = registered.Address.Equals(IPAddress.Any) || registered.Address.Equals(IPAddress.IPv6Any);
            if (!any) return registered.ToString();
            return podIp is null ? null : new IPEndPoint(podIp, registered.Port).ToString();
        }
        return podIp is null ? null : new IPEndPoint(podIp, DefaultAdminPort).ToString();
    }
}

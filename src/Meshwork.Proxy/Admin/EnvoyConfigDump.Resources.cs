using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Admin;

/// <summary>The route configurations, endpoints (EDS) and secrets (SDS) of the dump.</summary>
internal static partial class EnvoyConfigDump
{
    /// <summary>
    /// One route configuration per HTTP service port, named by the port as Istio names them, each
    /// with one virtual host per service: the VirtualService's routes when one binds it, else the
    /// default route to the service's own cluster.
    /// </summary>
    private static void Routes(Utf8JsonWriter json, ProxySnapshot snapshot, string updated)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "RoutesConfigDump");
        json.WriteStartArray("dynamic_route_configs");
        var routesByHost = snapshot.HttpRoutes.SelectMany(v => v.Hosts.Select(h => (Host: h, Routes: v))).GroupBy(p => p.Host, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Routes, StringComparer.Ordinal);
        var byPort = snapshot.Outbound.SelectMany(s => s.Ports.Where(p => p.Protocol is "http" or "http2" or "grpc").Select(p => (Service: s, Port: p)))
            .GroupBy(p => p.Port.Port).OrderBy(g => g.Key);
        foreach (var group in byPort)
        {
            json.WriteStartObject();
            json.WriteString("version_info", snapshot.Version);
            json.WriteStartObject("route_config");
            json.WriteString("@type", "type.googleapis.com/envoy.config.route.v3.RouteConfiguration");
            json.WriteString("name", group.Key.ToString(CultureInfo.InvariantCulture));
            json.WriteStartArray("virtual_hosts");
            foreach (var (service, port) in group)
            {
                json.WriteStartObject();
                json.WriteString("name", $"{service.Hostname}:{port.Port}");
                json.WriteStartArray("domains");
                foreach (var domain in Domains(service, port.Port)) json.WriteStringValue(domain);
                json.WriteEndArray();
                json.WriteStartArray("routes");
                if (routesByHost.GetValueOrDefault(service.Hostname) is { } virtualService)
                {
                    foreach (var rule in virtualService.Routes) Route(json, rule, port.Port, virtualService.Source);
                }
                else
                {
                    DefaultRoute(json, ClusterName("outbound", port.Port, null, service.Hostname));
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteString("last_updated", updated);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The names Kubernetes DNS gives a service, each with and without the port, as Istio lists them.</summary>
    private static IEnumerable<string> Domains(OutboundService service, int port)
    {
        foreach (var name in new[] { service.Hostname, $"{service.Name}.{service.Namespace}.svc", $"{service.Name}.{service.Namespace}", service.Name })
        {
            yield return name;
            yield return $"{name}:{port}";
        }
    }

    private static void Route(Utf8JsonWriter json, HttpRouteRule rule, int port, string source)
    {
        json.WriteStartObject();
        json.WriteString("name", rule.Name ?? "");
        json.WriteStartObject("match");
        var uri = rule.Matches.FirstOrDefault()?.Uri;
        switch (uri?.Kind)
        {
            case StringMatchKind.Exact: json.WriteString("path", uri.Value); break;
            case StringMatchKind.Regex: json.WriteStartObject("safe_regex"); json.WriteString("regex", uri.Value); json.WriteEndObject(); break;
            default: json.WriteString("prefix", uri?.Value ?? "/"); break;
        }
        json.WriteEndObject();
        json.WriteStartObject("route");
        if (rule.Destinations is [var single])
        {
            json.WriteString("cluster", ClusterName("outbound", single.Port == 0 ? port : single.Port, single.Subset, single.Host));
        }
        else
        {
            json.WriteStartObject("weighted_clusters");
            json.WriteStartArray("clusters");
            foreach (var destination in rule.Destinations)
            {
                json.WriteStartObject();
                json.WriteString("name", ClusterName("outbound", destination.Port == 0 ? port : destination.Port, destination.Subset, destination.Host));
                json.WriteNumber("weight", destination.Weight);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        if (rule.TimeoutMs is { } timeout) json.WriteString("timeout", $"{timeout / 1000.0:0.###}s");
        RetryPolicy(json, rule.Retry ?? RouteRetry.IstioDefault);
        json.WriteEndObject();
        ConfigMetadata(json, source, "VirtualService ", "virtual-service");
        json.WriteEndObject();
    }

    /// <summary>The route's retry_policy as Envoy dumps it; none when retries are off (Istio sets none for attempts 0).</summary>
    private static void RetryPolicy(Utf8JsonWriter json, RouteRetry retry)
    {
        if (retry.Attempts <= 0) return;
        json.WriteStartObject("retry_policy");
        json.WriteString("retry_on", string.Join(',', retry.On));
        json.WriteNumber("num_retries", retry.Attempts);
        if (retry.PerTryTimeoutMs is { } perTry) json.WriteString("per_try_timeout", $"{perTry / 1000.0:0.###}s");
        if (!retry.StatusCodes.IsDefaultOrEmpty)
        {
            json.WriteStartArray("retriable_status_codes");
            foreach (var code in retry.StatusCodes) json.WriteNumberValue(code);
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void Endpoints(Utf8JsonWriter json, ProxySnapshot snapshot)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "EndpointsConfigDump");
        json.WriteStartArray("dynamic_endpoint_configs");
        foreach (var service in snapshot.Outbound)
        {
            foreach (var port in service.Ports)
            {
                LoadAssignment(json, ClusterName("outbound", port.Port, null, service.Hostname), port.Endpoints);
                foreach (var subset in port.Subsets) LoadAssignment(json, ClusterName("outbound", port.Port, subset.Name, service.Hostname), subset.Endpoints);
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void LoadAssignment(Utf8JsonWriter json, string cluster, IReadOnlyList<UpstreamEndpoint> endpoints)
    {
        json.WriteStartObject();
        json.WriteStartObject("endpoint_config");
        json.WriteString("@type", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment");
        json.WriteString("cluster_name", cluster);
        json.WriteStartArray("endpoints");
        json.WriteStartObject();
        json.WriteStartArray("lb_endpoints");
        foreach (var endpoint in endpoints)
        {
            json.WriteStartObject();
            json.WriteStartObject("endpoint");
            json.WriteStartObject("address");
            json.WriteStartObject("socket_address");
            json.WriteString("address", endpoint.Address);
            json.WriteNumber("port_value", endpoint.Port);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteString("health_status", endpoint.Ready ? "HEALTHY" : "UNHEALTHY");
            json.WriteStartObject("metadata");
            json.WriteStartObject("filter_metadata");
            json.WriteStartObject("istio");
            if (endpoint.Workload is { } workload) json.WriteString("workload", $"{workload};{endpoint.Namespace};{endpoint.App};{endpoint.Version};cluster.local");
            json.WriteString("tls_mode", endpoint.Tls == UpstreamTlsMode.IstioMutual ? "istio" : "disabled");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The workload certificate ("default") and the trust bundle ("ROOTCA"), as Envoy's SDS names them.</summary>
    private static void Secrets(Utf8JsonWriter json, ProxyState state)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "SecretsConfigDump");
        json.WriteStartArray("dynamic_active_secrets");
        if (state.Credentials is { } active)
        {
            var credentials = active.Credentials;
            var loaded = active.LoadedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            var chain = new StringBuilder(credentials.Leaf.ExportCertificatePem()).Append('\n');
            foreach (var intermediate in credentials.Intermediates) chain.Append(intermediate.ExportCertificatePem()).Append('\n');
            var roots = new StringBuilder();
            foreach (var root in (ProxyState.TrustBundleOf(state.Config, active) ?? credentials.TrustBundle).Roots) roots.Append(root.ExportCertificatePem()).Append('\n');

            SecretStart(json, "default", credentials.Leaf.SerialNumber.ToLowerInvariant(), loaded);
            json.WriteStartObject("tls_certificate");
            json.WriteStartObject("certificate_chain");
            json.WriteString("inline_bytes", Convert.ToBase64String(Encoding.UTF8.GetBytes(chain.ToString())));
            json.WriteEndObject();
            json.WriteStartObject("private_key");
            json.WriteString("inline_bytes", Redacted);
            json.WriteEndObject();
            json.WriteEndObject();
            SecretEnd(json);

            SecretStart(json, "ROOTCA", credentials.Leaf.SerialNumber.ToLowerInvariant(), loaded);
            json.WriteStartObject("validation_context");
            json.WriteStartObject("trusted_ca");
            json.WriteString("inline_bytes", Convert.ToBase64String(Encoding.UTF8.GetBytes(roots.ToString())));
            json.WriteEndObject();
            json.WriteEndObject();
            SecretEnd(json);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void SecretStart(Utf8JsonWriter json, string name, string version, string updated)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("version_info", version);
        json.WriteString("last_updated", updated);
        json.WriteStartObject("secret");
        json.WriteString("@type", "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret");
        json.WriteString("name", name);
    }

    private static void SecretEnd(Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.WriteEndObject();
    }
}

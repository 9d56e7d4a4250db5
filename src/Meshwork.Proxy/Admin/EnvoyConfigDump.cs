using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Admin;

/// <summary>The addresses the proxy's listeners are bound to, known once the host has bound them.</summary>
internal sealed record BoundListeners(IPEndPoint Outbound, IReadOnlyDictionary<int, IPEndPoint> Inbound);

/// <summary>
/// <c>/config_dump</c> in Envoy's shape (envoy.admin.v3.ConfigDump): a <c>configs</c> array of typed
/// dumps — bootstrap, clusters, listeners, routes, secrets, and endpoints when asked with
/// <c>?include_eds</c> as Envoy does — with proto field names in snake_case, so that
/// <c>jq '.configs[].dynamic_listeners'</c> and <c>istioctl proxy-config</c>-style views read it.
/// The snapshot the control plane sent follows as one more entry of Meshwork's own type.
/// Private keys are never written: the certificate's key shows as Envoy's "[redacted]".
/// </summary>
internal static class EnvoyConfigDump
{
    private const string AdminType = "type.googleapis.com/envoy.admin.v3.";
    /// <summary>base64("[redacted]"), what Envoy prints for an inline private key.</summary>
    private static readonly string Redacted = Convert.ToBase64String("[redacted]"u8);

    public static string Write(ProxyState state, BoundListeners? listeners, bool includeEds)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("configs");
            var config = state.Config;
            var updated = (state.ConfigAppliedAt ?? state.Time.GetUtcNow()).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            if (config is not null)
            {
                var snapshot = config.Snapshot;
                Bootstrap(json, snapshot.Node);
                Clusters(json, snapshot, updated);
                Listeners(json, snapshot, listeners, updated);
                Routes(json, snapshot, updated);
                if (includeEds) Endpoints(json, snapshot);
            }
            Secrets(json, state);
            if (config is not null)
            {
                json.WriteStartObject();
                json.WriteString("@type", "type.meshwork.dev/ProxySnapshot");
                json.WriteString("last_updated", updated);
                json.WritePropertyName("snapshot");
                // A gateway's server keys stay in the proxy: the dump shows them redacted, as Envoy's admin does secrets.
                JsonSerializer.Serialize(json, config.Snapshot.WithoutKeys(), ProtocolJson.Indented.ProxySnapshot);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Istio's cluster names: direction|port|subset|host.</summary>
    public static string ClusterName(string direction, int port, string? subset, string host) => $"{direction}|{port}|{subset}|{host}";

    private static void Bootstrap(Utf8JsonWriter json, ProxyNode node)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "BootstrapConfigDump");
        json.WriteStartObject("bootstrap");
        json.WriteStartObject("node");
        var type = node.Role switch { ProxyRole.Gateway => "router", _ => "sidecar" };
        json.WriteString("id", $"{type}~{node.Id}~{node.Namespace}.svc.cluster.local");
        json.WriteString("cluster", $"{node.Workload}.{node.Namespace}");
        json.WriteStartObject("metadata");
        json.WriteString("NAMESPACE", node.Namespace);
        json.WriteString("WORKLOAD_NAME", node.Workload);
        if (node.ServiceAccount is { } sa) json.WriteString("SERVICE_ACCOUNT", sa);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Clusters(Utf8JsonWriter json, ProxySnapshot snapshot, string updated)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "ClustersConfigDump");
        json.WriteString("version_info", snapshot.Version);
        json.WriteStartArray("dynamic_active_clusters");
        foreach (var port in snapshot.Inbound)
        {
            ClusterEntry(json, snapshot.Version, updated, ClusterName("inbound", port.Port, null, ""), "ORIGINAL_DST", tls: null, configSource: null);
        }
        foreach (var service in snapshot.Outbound)
        {
            foreach (var port in service.Ports)
            {
                ClusterEntry(json, snapshot.Version, updated, ClusterName("outbound", port.Port, null, service.Hostname), "EDS",
                    UpstreamTls(port.Endpoints, port.AcceptedIdentities, port.Sni), port.TlsSource);
                foreach (var subset in port.Subsets)
                {
                    ClusterEntry(json, snapshot.Version, updated, ClusterName("outbound", port.Port, subset.Name, service.Hostname), "EDS",
                        UpstreamTls(subset.Endpoints, subset.AcceptedIdentities, subset.Sni), subset.TlsSource);
                }
            }
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>The upstream TLS a cluster originates, or null when every endpoint is plaintext.</summary>
    private static (string Mode, IReadOnlyList<string> Sans, string? Sni)? UpstreamTls(IReadOnlyList<UpstreamEndpoint> endpoints, IReadOnlyList<string> sans, string? sni)
    {
        var tls = endpoints.Select(e => e.Tls).FirstOrDefault(t => t != UpstreamTlsMode.Disable, UpstreamTlsMode.Disable);
        return tls == UpstreamTlsMode.Disable ? null : (tls.ToString(), sans, sni);
    }

    private static void ClusterEntry(Utf8JsonWriter json, string version, string updated, string name, string type, (string Mode, IReadOnlyList<string> Sans, string? Sni)? tls, string? configSource)
    {
        json.WriteStartObject();
        json.WriteString("version_info", version);
        json.WriteStartObject("cluster");
        json.WriteString("@type", "type.googleapis.com/envoy.config.cluster.v3.Cluster");
        json.WriteString("name", name);
        json.WriteString("type", type);
        if (tls is { } t)
        {
            TlsTransportSocket(json, "UpstreamTlsContext", presentCertificate: t.Mode is nameof(UpstreamTlsMode.IstioMutual) or nameof(UpstreamTlsMode.Mutual),
                t.Sans, t.Sni, requireClientCertificate: null);
        }
        ConfigMetadata(json, configSource, "DestinationRule ", "destination-rule");
        json.WriteEndObject();
        json.WriteString("last_updated", updated);
        json.WriteEndObject();
    }

    /// <summary>
    /// Istio's <c>metadata.filter_metadata.istio.config</c>: the path of the resource that shaped this
    /// entry, which istioctl turns into its DESTINATION RULE and VIRTUAL SERVICE columns.
    /// </summary>
    private static void ConfigMetadata(Utf8JsonWriter json, string? source, string prefix, string kindPath)
    {
        if (source is null || !source.StartsWith(prefix, StringComparison.Ordinal)) return;
        var reference = source[prefix.Length..].Split('/');
        if (reference is not [var ns, var name]) return;
        json.WriteStartObject("metadata");
        json.WriteStartObject("filter_metadata");
        json.WriteStartObject("istio");
        json.WriteString("config", $"/apis/networking.istio.io/v1alpha3/namespaces/{ns}/{kindPath}/{name}");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void Listeners(Utf8JsonWriter json, ProxySnapshot snapshot, BoundListeners? bound, string updated)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "ListenersConfigDump");
        json.WriteString("version_info", snapshot.Version);
        json.WriteStartArray("dynamic_listeners");
        foreach (var port in snapshot.Inbound)
        {
            var address = bound?.Inbound.GetValueOrDefault(port.Port);
            var host = address?.Address.ToString() ?? "0.0.0.0";
            var name = $"{host}_{port.Port}";
            ListenerStart(json, snapshot.Version, name, host, address?.Port ?? port.Port, "INBOUND");
            json.WriteStartArray("filter_chains");
            var cluster = ClusterName("inbound", port.Port, null, "");
            // STRICT accepts only TLS with a client certificate; PERMISSIVE sniffs and serves both; DISABLE only plaintext.
            if (port.Mode != InboundTlsMode.Disable) FilterChain(json, "tls", port.Protocol, name, cluster, routeName: null, requireClientCertificate: true);
            if (port.Mode != InboundTlsMode.Strict) FilterChain(json, "raw_buffer", port.Protocol, name, cluster, routeName: null, requireClientCertificate: false);
            json.WriteEndArray();
            json.WriteStartObject("metadata");
            json.WriteStartObject("filter_metadata");
            json.WriteStartObject("meshwork");
            json.WriteString("mtls_mode", port.Mode.ToString().ToUpperInvariant());
            json.WriteString("mtls_mode_source", port.ModeSource);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
            ListenerEnd(json, updated);
        }
        if (bound is not null)
        {
            // The app's http_proxy (and CONNECT): one listener that routes by the request's host and port.
            var outbound = bound.Outbound;
            ListenerStart(json, snapshot.Version, "virtualOutbound", outbound.Address.ToString(), outbound.Port, "OUTBOUND");
            json.WriteStartArray("filter_chains");
            FilterChain(json, transport: null, "http", "virtualOutbound", cluster: null, routeName: "http_proxy", requireClientCertificate: false);
            json.WriteEndArray();
            ListenerEnd(json, updated);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void ListenerStart(Utf8JsonWriter json, string version, string name, string address, int port, string direction)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteStartObject("active_state");
        json.WriteString("version_info", version);
        json.WriteStartObject("listener");
        json.WriteString("@type", "type.googleapis.com/envoy.config.listener.v3.Listener");
        json.WriteString("name", name);
        json.WriteStartObject("address");
        json.WriteStartObject("socket_address");
        json.WriteString("address", address);
        json.WriteNumber("port_value", port);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteString("traffic_direction", direction);
    }

    private static void ListenerEnd(Utf8JsonWriter json, string updated)
    {
        json.WriteEndObject();
        json.WriteString("last_updated", updated);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void FilterChain(Utf8JsonWriter json, string? transport, string protocol, string statPrefix, string? cluster, string? routeName, bool requireClientCertificate)
    {
        json.WriteStartObject();
        if (transport is not null)
        {
            json.WriteStartObject("filter_chain_match");
            json.WriteString("transport_protocol", transport);
            json.WriteEndObject();
        }
        json.WriteStartArray("filters");
        json.WriteStartObject();
        if (protocol == "http")
        {
            json.WriteString("name", "envoy.filters.network.http_connection_manager");
            json.WriteStartObject("typed_config");
            json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
            json.WriteString("stat_prefix", statPrefix);
            if (routeName is not null)
            {
                json.WriteStartObject("rds");
                json.WriteString("route_config_name", routeName);
                json.WriteEndObject();
            }
            else
            {
                json.WriteStartObject("route_config");
                json.WriteString("name", cluster);
                json.WriteStartArray("virtual_hosts");
                json.WriteStartObject();
                json.WriteString("name", "inbound|http");
                json.WriteStartArray("domains");
                json.WriteStringValue("*");
                json.WriteEndArray();
                json.WriteStartArray("routes");
                DefaultRoute(json, cluster!);
                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("name", "envoy.filters.network.tcp_proxy");
            json.WriteStartObject("typed_config");
            json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy");
            json.WriteString("stat_prefix", statPrefix);
            json.WriteString("cluster", cluster);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndArray();
        if (transport == "tls") TlsTransportSocket(json, "DownstreamTlsContext", presentCertificate: true, sans: [], sni: null, requireClientCertificate);
        json.WriteEndObject();
    }

    /// <summary>
    /// The tls transport socket of a cluster (Upstream) or a filter chain (Downstream), with Istio's SDS
    /// secret names: "default" for the workload certificate, "ROOTCA" for the trust bundle.
    /// </summary>
    private static void TlsTransportSocket(Utf8JsonWriter json, string contextType, bool presentCertificate, IReadOnlyList<string> sans, string? sni, bool? requireClientCertificate)
    {
        json.WriteStartObject("transport_socket");
        json.WriteString("name", "envoy.transport_sockets.tls");
        json.WriteStartObject("typed_config");
        json.WriteString("@type", "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3." + contextType);
        json.WriteStartObject("common_tls_context");
        if (presentCertificate)
        {
            json.WriteStartArray("tls_certificate_sds_secret_configs");
            json.WriteStartObject();
            json.WriteString("name", "default");
            json.WriteEndObject();
            json.WriteEndArray();
        }
        json.WriteStartObject("combined_validation_context");
        json.WriteStartObject("default_validation_context");
        if (sans.Count > 0)
        {
            json.WriteStartArray("match_subject_alt_names");
            foreach (var san in sans)
            {
                json.WriteStartObject();
                json.WriteString("exact", san);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
        json.WriteStartObject("validation_context_sds_secret_config");
        json.WriteString("name", "ROOTCA");
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        if (sni is not null) json.WriteString("sni", sni);
        if (requireClientCertificate is { } require) json.WriteBoolean("require_client_certificate", require);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void DefaultRoute(Utf8JsonWriter json, string cluster)
    {
        json.WriteStartObject();
        json.WriteString("name", "default");
        json.WriteStartObject("match");
        json.WriteString("prefix", "/");
        json.WriteEndObject();
        json.WriteStartObject("route");
        json.WriteString("cluster", cluster);
        json.WriteEndObject();
        json.WriteEndObject();
    }

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
        json.WriteEndObject();
        ConfigMetadata(json, source, "VirtualService ", "virtual-service");
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

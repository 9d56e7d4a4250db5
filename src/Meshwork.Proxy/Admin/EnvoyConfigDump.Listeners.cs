using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Admin;

/// <summary>The listeners of the dump: inbound and outbound, with their filter chains and TLS contexts.</summary>
internal static partial class EnvoyConfigDump
{
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
}

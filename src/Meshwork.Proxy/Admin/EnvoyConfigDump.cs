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
internal static partial class EnvoyConfigDump
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
        if (snapshot.Scope is { } scope)
        {
            // Where traffic to a host outside the scope goes, as Envoy's static clusters name it (istioctl lists it with the others).
            var blackHole = scope.Unlisted == UnlistedTraffic.BlackHole;
            ClusterEntry(json, snapshot.Version, updated, blackHole ? Capture.BlackHole.ClusterName : Capture.PassthroughRelay.ClusterName,
                blackHole ? "STATIC" : "ORIGINAL_DST", tls: null, configSource: null);
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

}

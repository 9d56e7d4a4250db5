using System.Globalization;
using System.Text.Json.Nodes;

namespace Meshwork.Cli.Output;

/// <summary>
/// istioctl's proxy-config views of an Envoy-shaped <c>/config_dump</c>: the resources of one kind
/// (listeners, clusters, routes, endpoints) as a table in istioctl's columns, or as the list of
/// resources that <c>-o json</c> and <c>-o yaml</c> print.
/// </summary>
internal static class EnvoyConfigView
{
    private const string AdminType = "type.googleapis.com/envoy.admin.v3.";

    /// <summary>The kinds proxy-config shows: which dump holds them, and where each resource sits in its entry.</summary>
    public static IReadOnlyList<JsonNode> Resources(JsonNode dump, string kind)
    {
        var (type, array, inner) = kind switch
        {
            "listener" => ("ListenersConfigDump", "dynamic_listeners", new[] { "active_state", "listener" }),
            "cluster" => ("ClustersConfigDump", "dynamic_active_clusters", new[] { "cluster" }),
            "route" => ("RoutesConfigDump", "dynamic_route_configs", new[] { "route_config" }),
            "endpoint" => ("EndpointsConfigDump", "dynamic_endpoint_configs", new[] { "endpoint_config" }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a proxy-config kind"),
        };
        var found = new List<JsonNode>();
        foreach (var config in dump["configs"]?.AsArray() ?? [])
        {
            if (config?["@type"]?.GetValue<string>() != AdminType + type) continue;
            foreach (var entry in config[array]?.AsArray() ?? [])
            {
                var node = entry;
                foreach (var step in inner) node = node?[step];
                if (node is not null) found.Add(node);
            }
        }
        return found;
    }

    public static IReadOnlyList<IReadOnlyList<string>> Table(string kind, IReadOnlyList<JsonNode> resources) => kind switch
    {
        "listener" => Listeners(resources),
        "cluster" => Clusters(resources),
        "route" => Routes(resources),
        "endpoint" => Endpoints(resources),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a proxy-config kind"),
    };

    private static List<IReadOnlyList<string>> Listeners(IReadOnlyList<JsonNode> listeners)
    {
        List<IReadOnlyList<string>> rows = [["ADDRESSES", "PORT", "MATCH", "DESTINATION"]];
        foreach (var listener in listeners)
        {
            var socket = listener["address"]?["socket_address"];
            var address = Text(socket?["address"]) ?? "-";
            var port = socket?["port_value"]?.GetValue<int>().ToString(CultureInfo.InvariantCulture) ?? "-";
            foreach (var chain in listener["filter_chains"]?.AsArray() ?? [])
            {
                var transport = Text(chain?["filter_chain_match"]?["transport_protocol"]);
                rows.Add([address, port, transport is null ? "ALL" : $"Trans: {transport}", Destination(chain?["filters"]?[0]?["typed_config"])]);
            }
        }
        return rows;
    }

    /// <summary>Where a filter chain sends traffic: an RDS route by name, an inline route's cluster, or a TCP cluster.</summary>
    private static string Destination(JsonNode? filter)
    {
        if (Text(filter?["rds"]?["route_config_name"]) is { } rds) return $"Route: {rds}";
        if (filter?["route_config"] is { } inline) return $"Inline Route: {Text(inline["name"])}";
        return Text(filter?["cluster"]) is { } cluster ? $"Cluster: {cluster}" : "-";
    }

    private static List<IReadOnlyList<string>> Clusters(IReadOnlyList<JsonNode> clusters)
    {
        List<IReadOnlyList<string>> rows = [["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"]];
        foreach (var cluster in clusters)
        {
            var name = Text(cluster["name"]) ?? "";
            var parts = name.Split('|');
            var (direction, port, subset, fqdn) = parts is [var d, var p, var s, var f] ? (d, p, s, f) : ("-", "-", "", name);
            rows.Add([fqdn, port, subset.Length == 0 ? "-" : subset, direction, Text(cluster["type"]) ?? "-", ConfigReference(cluster) ?? ""]);
        }
        return rows;
    }

    private static List<IReadOnlyList<string>> Routes(IReadOnlyList<JsonNode> routeConfigs)
    {
        List<IReadOnlyList<string>> rows = [["NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"]];
        foreach (var config in routeConfigs)
        {
            foreach (var host in config["virtual_hosts"]?.AsArray() ?? [])
            {
                var domains = host?["domains"]?.AsArray().Select(Text).OfType<string>().Where(d => !d.Contains(':', StringComparison.Ordinal)).ToList() ?? [];
                var shown = domains.OrderBy(d => d.Length).Take(2).ToList();
                var domainText = string.Join(", ", shown) + (domains.Count > shown.Count ? $" + {domains.Count - shown.Count} more..." : "");
                foreach (var route in host?["routes"]?.AsArray() ?? [])
                {
                    rows.Add([Text(config["name"]) ?? "", Text(host?["name"]) ?? "", domainText, Match(route?["match"]), ConfigReference(route) ?? ""]);
                }
            }
        }
        return rows;
    }

    /// <summary>istioctl's MATCH column: the path match as Envoy would show it (/*, /exact, regex).</summary>
    private static string Match(JsonNode? match) =>
        Text(match?["path"]) ?? Text(match?["safe_regex"]?["regex"]) ?? (Text(match?["prefix"]) is { } prefix ? (prefix == "/" ? "/*" : prefix + "*") : "/*");

    private static List<IReadOnlyList<string>> Endpoints(IReadOnlyList<JsonNode> assignments)
    {
        List<IReadOnlyList<string>> rows = [["ENDPOINT", "STATUS", "OUTLIER CHECK", "CLUSTER"]];
        foreach (var assignment in assignments)
        {
            var cluster = Text(assignment["cluster_name"]) ?? "";
            foreach (var locality in assignment["endpoints"]?.AsArray() ?? [])
            {
                foreach (var endpoint in locality?["lb_endpoints"]?.AsArray() ?? [])
                {
                    var socket = endpoint?["endpoint"]?["address"]?["socket_address"];
                    var address = $"{Text(socket?["address"])}:{socket?["port_value"]?.GetValue<int>().ToString(CultureInfo.InvariantCulture)}";
                    rows.Add([address, Text(endpoint?["health_status"]) ?? "UNKNOWN", "OK", cluster]);
                }
            }
        }
        return rows;
    }

    /// <summary>Istio's <c>metadata.filter_metadata.istio.config</c> path as istioctl prints it: NAME.NAMESPACE.</summary>
    private static string? ConfigReference(JsonNode? resource)
    {
        var path = Text(resource?["metadata"]?["filter_metadata"]?["istio"]?["config"]);
        if (path is null) return null;
        var parts = path.Split('/');
        var ns = Array.IndexOf(parts, "namespaces");
        return ns >= 0 && parts.Length > ns + 3 ? $"{parts[ns + 3]}.{parts[ns + 1]}" : path;
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

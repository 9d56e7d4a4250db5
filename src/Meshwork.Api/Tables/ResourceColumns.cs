using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;

namespace Meshwork.Api.Tables;

/// <summary>
/// The columns kubectl prints for each kind (and for Istio's CRDs, their printer columns), and
/// each object's cells. The CLI lays them out itself; the config API serves them as Kubernetes'
/// server-side Table, so <c>meshwork get</c> and <c>kubectl get</c> print the same columns.
/// </summary>
public static class ResourceColumns
{
    /// <summary>What a row may need besides its own object: the pods, to count a Deployment's replicas.</summary>
    public sealed record RowContext(IReadOnlyList<Pod> Pods, DateTimeOffset Now);

    public static IReadOnlyList<string> Header(KindInfo kind, bool wide, bool withNamespace)
    {
        var columns = new List<string>();
        if (withNamespace) columns.Add("NAMESPACE");
        columns.AddRange(kind.Kind switch
        {
            "Namespace" => ["NAME", "STATUS", "AGE"],
            "Node" => wide ? ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "POD-CIDR"] : ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            "Pod" => wide ? ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"] : ["NAME", "READY", "STATUS", "RESTARTS", "AGE"],
            "Service" => wide ? ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"] : ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"],
            "Deployment" => wide ? ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"] : ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"],
            "ServiceAccount" => ["NAME", "SECRETS", "AGE"],
            "ConfigMap" => ["NAME", "DATA", "AGE"],
            "Secret" => ["NAME", "TYPE", "DATA", "AGE"],
            "PeerAuthentication" => ["NAME", "MODE", "AGE"],
            "AuthorizationPolicy" => ["NAME", "ACTION", "AGE"],
            "DestinationRule" => ["NAME", "HOST", "AGE"],
            "Gateway" => ["NAME", "AGE"],
            "VirtualService" => ["NAME", "GATEWAYS", "HOSTS", "AGE"],
            _ => ["NAME", "AGE"],
        });
        return columns;
    }

    public static IReadOnlyList<string> Row(Resource resource, bool wide, bool withNamespace, RowContext context)
    {
        var json = JsonNode.Parse(ResourceJson.Serialize(resource)) as JsonObject ?? [];
        var age = Age(resource.Metadata.CreationTimestamp, context.Now);
        var name = resource.Metadata.Name;
        var cells = new List<string>();
        if (withNamespace) cells.Add(resource.Metadata.Namespace ?? "");
        switch (resource)
        {
            case Namespace:
                cells.AddRange([name, Str(json, "status", "phase") ?? "Active", age]);
                break;
            case Pod pod:
                var statuses = pod.Status.ContainerStatuses;
                var total = statuses.Length > 0 ? statuses.Length : pod.Spec.Containers.Length;
                cells.AddRange([name, $"{statuses.Count(s => s.Ready)}/{total}", pod.Status.Reason ?? pod.Status.Phase,
                    statuses.Sum(s => s.RestartCount).ToString(CultureInfo.InvariantCulture), age]);
                // A pod of the single-host runtime names no node: it runs on this host.
                var node = pod.Spec.NodeName ?? (pod.Status.PodIP is null ? "<none>" : Environment.MachineName);
                if (wide) cells.AddRange([pod.Status.PodIP ?? "<none>", node, "<none>", "<none>"]);
                break;
            case Node n:
                cells.AddRange([name, n.IsReady(context.Now) ? "Ready" : "NotReady", "<none>", age, "meshwork"]);
                if (wide) cells.AddRange([n.Status.InternalIp ?? "<none>", n.Spec.PodCidr ?? "<none>"]);
                break;
            case Service service:
                var type = service.Spec.Type;
                cells.AddRange([name, type, Str(json, "spec", "clusterIP") ?? "<none>", ExternalIp(json, type), Ports(json), age]);
                if (wide) cells.Add(service.Spec.Selector.IsEmpty ? "<none>" : string.Join(',', service.Spec.Selector.MatchLabels.Select(l => $"{l.Key}={l.Value}")));
                break;
            case Deployment deployment:
                var selector = deployment.Spec.Selector.IsEmpty ? new LabelSelector(deployment.Spec.Template.Labels) : deployment.Spec.Selector;
                var pods = context.Pods.Where(p => p.Metadata.Namespace == deployment.Metadata.Namespace && !selector.IsEmpty && selector.Matches(p.Metadata.Labels)).ToList();
                var ready = pods.Count(IsReady);
                var upToDate = Math.Min(pods.Count, deployment.Spec.Replicas);
                // Pods that are not in the store (istiod's: the control plane itself) are counted by the Deployment's own status, as kubectl prints it.
                if (pods.Count == 0 && deployment.Status.Replicas > 0) (ready, upToDate) = (deployment.Status.ReadyReplicas, deployment.Status.UpdatedReplicas);
                cells.AddRange([name, $"{ready}/{deployment.Spec.Replicas}", upToDate.ToString(CultureInfo.InvariantCulture),
                    (pods.Count == 0 ? deployment.Status.AvailableReplicas : ready).ToString(CultureInfo.InvariantCulture), age]);
                if (wide)
                {
                    var containers = deployment.Spec.Template.Spec.Containers;
                    cells.AddRange([string.Join(',', containers.Select(c => c.Name)), string.Join(',', containers.Select(c => c.Image ?? "")),
                        string.Join(',', selector.MatchLabels.Select(l => $"{l.Key}={l.Value}"))]);
                }
                break;
            case ServiceAccount:
                cells.AddRange([name, "0", age]);
                break;
            case ConfigMap configMap:
                cells.AddRange([name, configMap.Data.Count.ToString(CultureInfo.InvariantCulture), age]);
                break;
            case Secret secret:
                cells.AddRange([name, secret.Type, secret.Data.Count.ToString(CultureInfo.InvariantCulture), age]);
                break;
            case PeerAuthentication:
                cells.AddRange([name, Str(json, "spec", "mtls", "mode") ?? "", age]);
                break;
            case AuthorizationPolicy:
                cells.AddRange([name, Str(json, "spec", "action") ?? "", age]);
                break;
            case DestinationRule:
                cells.AddRange([name, Str(json, "spec", "host") ?? "", age]);
                break;
            case VirtualService:
                cells.AddRange([name, List(json["spec"]?["gateways"]), List(json["spec"]?["hosts"]), age]);
                break;
            default:
                cells.AddRange([name, age]);
                break;
        }
        return cells;
    }

    public static bool IsReady(Pod pod) =>
        pod.Status.ContainerStatuses.Length > 0 && pod.Status.ContainerStatuses.All(s => s.Ready);

    /// <summary>kubectl's human-readable duration: 45s, 3m12s, 47m, 5h3m, 20h, 3d4h, 12d, 2y40d.</summary>
    public static string Age(DateTimeOffset? since, DateTimeOffset now)
    {
        if (since is null) return "<unknown>";
        var d = now - since.Value;
        if (d < TimeSpan.Zero) d = TimeSpan.Zero;
        var seconds = (long)d.TotalSeconds;
        var minutes = (long)d.TotalMinutes;
        var hours = (long)d.TotalHours;
        var days = (long)d.TotalDays;
        if (seconds < 120) return $"{seconds}s";
        if (minutes < 10) return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        if (minutes < 180) return $"{minutes}m";
        if (hours < 8) return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        if (hours < 48) return $"{hours}h";
        if (hours < 24 * 8) return hours % 24 == 0 ? $"{days}d" : $"{days}d{hours % 24}h";
        if (days < 365 * 2) return $"{days}d";
        if (days < 365 * 8) return days % 365 == 0 ? $"{days / 365}y" : $"{days / 365}y{days % 365}d";
        return $"{days / 365}y";
    }

    private static string ExternalIp(JsonObject json, string type)
    {
        var ingress = json["status"]?["loadBalancer"]?["ingress"] as JsonArray;
        var ips = ingress?.Select(i => Str(i, "ip") ?? Str(i, "hostname")).Where(s => s is not null).ToList() ?? [];
        if (ips.Count > 0) return string.Join(',', ips);
        if (json["spec"]?["externalIPs"] is JsonArray { Count: > 0 } external) return string.Join(',', external.Select(e => e?.ToString()));
        return type == "LoadBalancer" ? "<pending>" : "<none>";
    }

    private static string Ports(JsonObject json)
    {
        if (json["spec"]?["ports"] is not JsonArray { Count: > 0 } ports) return "<none>";
        return string.Join(',', ports.Select(p =>
        {
            var port = p?["port"]?.ToString() ?? "";
            var nodePort = p?["nodePort"]?.ToString();
            var protocol = Str(p, "protocol") ?? "TCP";
            return nodePort is null ? $"{port}/{protocol}" : $"{port}:{nodePort}/{protocol}";
        }));
    }

    private static string List(JsonNode? node) => node switch
    {
        JsonArray array => "[" + string.Join(',', array.Select(a => JsonSerializer.Serialize(a?.ToString() ?? ""))) + "]",
        _ => "",
    };

    private static string? Str(JsonNode? node, params string[] path)
    {
        foreach (var segment in path)
        {
            node = node is JsonObject o && o.TryGetPropertyValue(segment, out var next) ? next : null;
            if (node is null) return null;
        }
        return node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : node?.ToJsonString();
    }
}

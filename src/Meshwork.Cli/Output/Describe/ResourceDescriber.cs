using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Api.Events;
using Meshwork.Api.Tables;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Cli.Output.Describe;

/// <summary>
/// <c>describe</c> in kubectl's human layout: Pods, Deployments and Services as kubectl's own
/// describers print them (Name:, Namespace:, Labels:, Annotations:, Containers:, Conditions:,
/// Events:), any other kind as kubectl's generic describer prints a custom resource (metadata,
/// then the object's fields title-cased and nested), and the object's events last.
/// </summary>
internal static class ResourceDescriber
{
    public static string Describe(Resource resource, IReadOnlyList<ObjectEvent> events, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var w = new DescribeWriter();
        switch (resource)
        {
            case Pod pod:
                WorkloadDescriptions.Pod(w, pod);
                break;
            case Deployment deployment:
                WorkloadDescriptions.Deployment(w, deployment);
                break;
            case Service service:
                Service(w, service);
                break;
            default:
                Generic(w, resource);
                break;
        }
        Events(w, events, now);
        return w.ToString();
    }

    /// <summary>RFC 1123 with a numeric zone, as kubectl prints times in describe.</summary>
    internal static string Time(DateTimeOffset? at) =>
        at is { } t ? t.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture) : "<unset>";

    internal static void Metadata(DescribeWriter w, Resource resource)
    {
        w.Field(0, "Name", resource.Metadata.Name);
        if (resource.IsNamespaced) w.Field(0, "Namespace", resource.Metadata.Namespace ?? "");
    }

    private static void Service(DescribeWriter w, Service service)
    {
        Metadata(w, service);
        w.Map(0, "Labels", service.Metadata.Labels);
        w.Map(0, "Annotations", service.Metadata.Annotations, ": ");
        w.Field(0, "Selector", service.Spec.Selector.IsEmpty ? "<none>" : string.Join(",", service.Spec.Selector.MatchLabels.Select(kv => $"{kv.Key}={kv.Value}")));
        w.Field(0, "Type", service.Spec.Type);
        w.Field(0, "IP Family Policy", "SingleStack");
        w.Field(0, "IP Families", "IPv4");
        w.Field(0, "IP", service.Spec.ClusterIp ?? "None");
        w.Field(0, "IPs", service.Spec.ClusterIp ?? "None");
        if (!service.Status.LoadBalancerIngress.IsDefaultOrEmpty) w.Field(0, "LoadBalancer Ingress", string.Join(", ", service.Status.LoadBalancerIngress));
        foreach (var port in service.Spec.Ports)
        {
            w.Field(0, "Port", $"{port.Name ?? "<unset>"}  {port.Port}/{port.Protocol}");
            var target = port.TargetPort is { } t ? t.Number?.ToString(CultureInfo.InvariantCulture) ?? t.Name : port.Port.ToString(CultureInfo.InvariantCulture);
            w.Field(0, "TargetPort", $"{target}/{port.Protocol}");
        }
        w.Field(0, "Session Affinity", "None");
    }

    /// <summary>kubectl's generic describer: fields title-cased ("creationTimestamp" → "Creation Timestamp"), nested by two spaces.</summary>
    private static void Generic(DescribeWriter w, Resource resource)
    {
        Metadata(w, resource);
        w.Map(0, "Labels", resource.Metadata.Labels);
        w.Map(0, "Annotations", resource.Metadata.Annotations, ": ");
        w.Field(0, "API Version", resource.ApiVersion);
        w.Field(0, "Kind", resource.Kind);
        var json = ResourceJson.ToJsonObject(resource);
        if (json["metadata"] is JsonObject metadata)
        {
            foreach (var key in (string[])["name", "namespace", "labels", "annotations"]) metadata.Remove(key);
            Node(w, 0, "metadata", metadata);
        }
        foreach (var (key, value) in json)
        {
            if (key is "apiVersion" or "kind" or "metadata" || value is null) continue;
            Node(w, 0, key, value);
        }
    }

    private static void Node(DescribeWriter w, int level, string key, JsonNode value)
    {
        switch (value)
        {
            case JsonObject o:
                w.Section(level, Title(key));
                foreach (var (k, v) in o) if (v is not null) Node(w, level + 1, k, v);
                break;
            case JsonArray a:
                w.Section(level, Title(key));
                foreach (var item in a)
                {
                    if (item is JsonObject element)
                    {
                        // kubectl marks where each element of a list of objects begins.
                        var first = true;
                        foreach (var (k, v) in element)
                        {
                            if (v is null) continue;
                            if (first && v is JsonValue) w.Field(level + 1, Title(k), v.ToString());
                            else Node(w, level + 1, k, v);
                            first = false;
                        }
                    }
                    else if (item is not null)
                    {
                        w.Text(level + 1, item.ToString());
                    }
                }
                break;
            default:
                w.Field(level, Title(key), value.ToString());
                break;
        }
    }

    /// <summary>"creationTimestamp" → "Creation Timestamp", "mtls" → "Mtls", as kubectl titles a field.</summary>
    internal static string Title(string key)
    {
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < key.Length; i++)
        {
            if (i > 0 && char.IsUpper(key[i]) && !char.IsUpper(key[i - 1])) text.Append(' ');
            text.Append(i == 0 ? char.ToUpperInvariant(key[i]) : key[i]);
        }
        return text.ToString();
    }

    private static void Events(DescribeWriter w, IReadOnlyList<ObjectEvent> events, DateTimeOffset now)
    {
        if (events.Count == 0)
        {
            w.Field(0, "Events", "<none>");
            return;
        }
        w.Section(0, "Events");
        List<string[]> rows = [["Type", "Reason", "Age", "From", "Message"], ["----", "------", "----", "----", "-------"]];
        foreach (var e in events.OrderBy(e => e.FirstTimestamp))
        {
            // kubectl's age column: "10s", or "3m (x4 over 10m)" for an event that repeated.
            var age = ResourceColumns.Age(e.LastTimestamp, now);
            if (e.Count > 1) age = $"{age} (x{e.Count} over {ResourceColumns.Age(e.FirstTimestamp, now)})";
            rows.Add([e.Type, e.Reason, age, e.Component, e.Message]);
        }
        w.Table(1, rows);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

/// <summary>
/// Writes a resource as the Kubernetes-shaped JSON document a user would have written
/// (apiVersion, kind, metadata, spec[, status]). <see cref="ManifestReader.Read"/> reads it back to
/// an equal record: the store and the config API keep this form. Empty and default fields are
/// left out, except where leaving them out would read back differently (an empty selector, an empty
/// trafficPolicy).
/// </summary>
public static partial class ResourceJson
{
    public static string Serialize(Resource resource) => ToJsonObject(resource).ToJsonString();

    /// <summary>The same document as a mutable JSON tree, for callers that add to it (the API's list responses).</summary>
    public static JsonObject ToJsonObject(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var o = new JsonObject
        {
            ["apiVersion"] = resource.ApiVersion,
            ["kind"] = resource.Kind,
            ["metadata"] = Metadata(resource.Metadata),
        };
        switch (resource)
        {
            case ConfigMap cm:
                Put(o, "data", StringMap(cm.Data));
                break;
            case Secret secret:
                o["type"] = secret.Type;
                if (!secret.Data.IsEmpty)
                {
                    var data = new JsonObject();
                    foreach (var (key, value) in secret.Data) data[key] = Convert.ToBase64String(value.AsSpan());
                    o["data"] = data;
                }
                break;
            case Service svc:
                o["spec"] = ServiceSpec(svc.Spec);
                if (!svc.Status.LoadBalancerIngress.IsDefaultOrEmpty)
                {
                    o["status"] = new JsonObject
                    {
                        ["loadBalancer"] = new JsonObject { ["ingress"] = Array(svc.Status.LoadBalancerIngress, ip => new JsonObject { ["ip"] = ip }) },
                    };
                }
                break;
            case Deployment deployment:
                o["spec"] = DeploymentSpec(deployment.Spec);
                if (deployment.Status != new DeploymentStatus()) o["status"] = DeploymentStatus(deployment.Status);
                break;
            case Pod pod:
                o["spec"] = PodSpec(pod.Spec);
                if (pod.Status != new PodStatus()) o["status"] = PodStatus(pod.Status);
                break;
            case Node node:
                o["spec"] = NodeSpec(node.Spec);
                if (node.Status != new NodeStatus()) o["status"] = NodeStatus(node.Status);
                break;
            case PeerAuthentication pa:
                o["spec"] = PeerAuthenticationSpec(pa.Spec);
                break;
            case AuthorizationPolicy ap:
                o["spec"] = AuthorizationPolicySpec(ap.Spec);
                break;
            case DestinationRule dr:
                o["spec"] = DestinationRuleSpec(dr.Spec);
                break;
            case Gateway gw:
                o["spec"] = GatewaySpec(gw.Spec);
                break;
            case VirtualService vs:
                o["spec"] = VirtualServiceSpec(vs.Spec);
                break;
            case Sidecar sidecar:
                o["spec"] = SidecarJson.Spec(sidecar.Spec);
                break;
        }
        return o;
    }

    /// <summary>RFC 3339 in UTC, with the fraction only when there is one (as Kubernetes writes it).</summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static JsonObject Metadata(ObjectMeta m)
    {
        var o = new JsonObject { ["name"] = m.Name };
        Put(o, "namespace", m.Namespace);
        Put(o, "labels", StringMap(m.Labels));
        Put(o, "annotations", StringMap(m.Annotations));
        if (m.CreationTimestamp is { } created) o["creationTimestamp"] = Timestamp(created);
        Put(o, "resourceVersion", m.ResourceVersion);
        Put(o, "uid", m.Uid);
        if (m.Generation != 0) o["generation"] = m.Generation;
        if (!m.ManagedFields.IsDefaultOrEmpty) o["managedFields"] = Array(m.ManagedFields, ManagedFieldsJson);
        return o;
    }

    private static JsonObject ManagedFieldsJson(ManagedFieldsEntry entry)
    {
        var o = new JsonObject { ["manager"] = entry.Manager, ["operation"] = entry.Operation, ["apiVersion"] = entry.ApiVersion };
        if (entry.Time is { } time) o["time"] = Timestamp(time);
        o["fieldsType"] = "FieldsV1";
        o["fieldsV1"] = JsonNode.Parse(entry.FieldsV1);
        return o;
    }

    private static void Put(JsonObject o, string key, JsonNode? value)
    {
        if (value is not null) o[key] = value;
    }

    private static void Put(JsonObject o, string key, string? value)
    {
        if (value is not null) o[key] = value;
    }

    private static JsonObject? StringMap(IReadOnlyDictionary<string, string> map)
    {
        if (map.Count == 0) return null;
        var o = new JsonObject();
        foreach (var (key, value) in map) o[key] = value;
        return o;
    }

    private static JsonArray? Strings(IReadOnlyList<string> values)
    {
        if (values.Count == 0) return null;
        var a = new JsonArray();
        foreach (var v in values) a.Add(v);
        return a;
    }

    private static JsonArray? Array<T>(IReadOnlyList<T> items, Func<T, JsonNode> write)
    {
        if (items.Count == 0) return null;
        var a = new JsonArray();
        foreach (var item in items) a.Add(write(item));
        return a;
    }

    private static JsonObject MatchLabels(LabelSelector selector)
    {
        var o = new JsonObject();
        Put(o, "matchLabels", StringMap(selector.MatchLabels));
        return o;
    }

    private static string Upper(string enumName) => enumName switch
    {
        "IstioMutual" => "ISTIO_MUTUAL",
        _ => enumName.ToUpperInvariant(),
    };
}

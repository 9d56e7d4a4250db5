using System.Text.Json.Nodes;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml;

/// <summary>A Sidecar's spec as Istio writes it, for <see cref="ResourceJson"/>.</summary>
internal static class SidecarJson
{
    public static JsonObject Spec(SidecarSpec spec)
    {
        var o = new JsonObject();
        if (spec.WorkloadSelector is { } selector)
        {
            var labels = new JsonObject();
            foreach (var (key, value) in selector.MatchLabels) labels[key] = value;
            o["workloadSelector"] = new JsonObject { ["labels"] = labels };
        }
        if (!spec.Egress.IsEmpty)
        {
            o["egress"] = new JsonArray([.. spec.Egress.Select(e => (JsonNode)new JsonObject { ["hosts"] = new JsonArray([.. e.Hosts.Select(h => (JsonNode)JsonValue.Create(h))]) })]);
        }
        if (spec.OutboundTrafficPolicy is { } mode)
        {
            o["outboundTrafficPolicy"] = new JsonObject { ["mode"] = mode == OutboundTrafficMode.RegistryOnly ? "REGISTRY_ONLY" : "ALLOW_ANY" };
        }
        return o;
    }
}

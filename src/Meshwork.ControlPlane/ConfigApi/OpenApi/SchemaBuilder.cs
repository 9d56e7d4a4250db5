using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.OpenApi;

/// <summary>
/// Small constructors for OpenAPI v3 schema objects (OpenAPI 3.0 §4.7.24), in the shape Kubernetes
/// publishes: every field carries a description, maps are objects with
/// <c>additionalProperties</c>, and enumerated strings list their values, so that
/// <c>kubectl explain</c> prints a field's type, its values and what it means.
/// </summary>
internal static class SchemaBuilder
{
    public static JsonObject Object(string description, params (string Name, JsonObject Schema)[] properties)
    {
        var props = new JsonObject();
        foreach (var (name, schema) in properties) props[name] = schema;
        return new JsonObject { ["description"] = description, ["type"] = "object", ["properties"] = props };
    }

    public static JsonObject String(string description, params string[] values)
    {
        var schema = new JsonObject { ["description"] = description, ["type"] = "string" };
        if (values.Length > 0) schema["enum"] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
        return schema;
    }

    public static JsonObject Integer(string description) =>
        new() { ["description"] = description, ["type"] = "integer", ["format"] = "int32" };

    public static JsonObject Boolean(string description) => new() { ["description"] = description, ["type"] = "boolean" };

    public static JsonObject Array(string description, JsonObject items) =>
        new() { ["description"] = description, ["type"] = "array", ["items"] = items };

    public static JsonObject Strings(string description) => Array(description, new JsonObject { ["type"] = "string" });

    /// <summary>A map from string keys to values of <paramref name="values"/> (labels, header sets, portLevelMtls).</summary>
    public static JsonObject Map(string description, JsonObject values) =>
        new() { ["description"] = description, ["type"] = "object", ["additionalProperties"] = values };

    public static JsonObject StringMap(string description) => Map(description, new JsonObject { ["type"] = "string" });
}

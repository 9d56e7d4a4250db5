using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.Tables;

/// <summary>
/// The meta.k8s.io/v1 Table envelope every server-side printer answers with: column definitions
/// (priority 0 always shown, 1 only with <c>-o wide</c>) and rows of cells, each row carrying its
/// object's metadata as a PartialObjectMetadata, from which kubectl adds NAMESPACE and LABELS.
/// </summary>
public static class TableDocument
{
    public static JsonObject Column(string name, int priority, string format = "", string type = "string") =>
        new() { ["name"] = name, ["type"] = type, ["format"] = format, ["description"] = "", ["priority"] = priority };

    public static JsonObject Row(JsonArray cells, JsonNode metadata) => new()
    {
        ["cells"] = cells,
        ["object"] = new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = metadata },
    };

    public static JsonObject Build(JsonArray columns, JsonArray rows, string revision) => new()
    {
        ["kind"] = "Table",
        ["apiVersion"] = "meta.k8s.io/v1",
        ["metadata"] = new JsonObject { ["resourceVersion"] = revision },
        ["columnDefinitions"] = columns,
        ["rows"] = rows,
    };
}

using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Api.Events;
using Meshwork.Api.Tables;
using Meshwork.ControlPlane.ConfigApi.Tables;

namespace Meshwork.ControlPlane.ConfigApi.Events;

/// <summary>
/// <c>kubectl get events</c> as the Kubernetes API server prints it: LAST SEEN, TYPE, REASON,
/// OBJECT, MESSAGE, and with <c>-o wide</c> SUBOBJECT, SOURCE, FIRST SEEN, COUNT, NAME.
/// </summary>
public static class EventTable
{
    private static readonly (string Name, int Priority)[] Columns =
    [
        ("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Subobject", 1), ("Source", 1), ("Message", 0),
        ("First Seen", 1), ("Count", 1), ("Name", 1),
    ];

    public static JsonObject Build(IEnumerable<ObjectEvent> events, string revision, DateTimeOffset now)
    {
        var columns = new JsonArray();
        foreach (var (name, priority) in Columns) columns.Add(TableDocument.Column(name, priority, name == "Name" ? "name" : ""));
        var rows = new JsonArray();
        foreach (var e in events)
        {
            var source = e.Host is null ? e.Component : $"{e.Component}, {e.Host}";
            var cells = new JsonArray(
                ResourceColumns.Age(e.LastTimestamp, now), e.Type, e.Reason, $"{e.Subject.Kind.ToLowerInvariant()}/{e.Subject.Name}", e.Subject.FieldPath ?? "",
                source, e.Message, ResourceColumns.Age(e.FirstTimestamp, now), e.Count.ToString(CultureInfo.InvariantCulture), e.Name ?? "");
            rows.Add(TableDocument.Row(cells, EventJson.ToCoreV1(e)["metadata"]!.DeepClone()));
        }
        return TableDocument.Build(columns, rows, revision);
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Meshwork.Model.Yaml;

namespace Meshwork.Api.Events;

/// <summary>
/// An event as JSON in Kubernetes' two shapes: core <c>v1</c> <c>Event</c> (what kubectl describe
/// and <c>get events</c> read, and what reporters post) and <c>events.k8s.io/v1</c> <c>Event</c>.
/// Reading is strict: the fields a reporter may send are known, their sizes bounded, and anything
/// else is refused with a <see cref="FormatException"/> naming the field.
/// </summary>
public static class EventJson
{
    /// <summary>Kubernetes bounds an event's note to 1 KiB (events.k8s.io/v1 validation); longer messages are refused, not cut.</summary>
    public const int MaxMessageLength = 1024;
    /// <summary>Reasons and components are short words; 128 is the bound Kubernetes sets on <c>reason</c>.</summary>
    public const int MaxWordLength = 128;

    private static readonly HashSet<string> TopLevelFields =
    [
        "apiVersion", "kind", "metadata", "involvedObject", "reason", "message", "type", "source", "count",
        "firstTimestamp", "lastTimestamp", "eventTime", "action", "reportingComponent", "reportingInstance", "related", "series",
    ];

    private static readonly HashSet<string> SubjectFields = ["kind", "namespace", "name", "uid", "apiVersion", "fieldPath", "resourceVersion"];

    public static JsonObject ToCoreV1(ObjectEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var o = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = Metadata(e),
            ["involvedObject"] = Subject(e.Subject),
            ["reason"] = e.Reason,
            ["message"] = e.Message,
            ["type"] = e.Type,
            ["source"] = Source(e),
            ["count"] = e.Count,
            ["reportingComponent"] = e.Component,
            ["reportingInstance"] = e.Host ?? "",
        };
        if (e.FirstTimestamp is { } first) o["firstTimestamp"] = ResourceJson.Timestamp(Seconds(first));
        if (e.LastTimestamp is { } last) o["lastTimestamp"] = ResourceJson.Timestamp(Seconds(last));
        return o;
    }

    public static JsonObject ToEventsV1(ObjectEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var o = new JsonObject
        {
            ["apiVersion"] = "events.k8s.io/v1",
            ["kind"] = "Event",
            ["metadata"] = Metadata(e),
            ["regarding"] = Subject(e.Subject),
            ["reason"] = e.Reason,
            ["note"] = e.Message,
            ["type"] = e.Type,
            ["reportingController"] = e.Component,
            ["reportingInstance"] = e.Host ?? "",
            ["deprecatedSource"] = Source(e),
            ["deprecatedCount"] = e.Count,
        };
        if (e.FirstTimestamp is { } first) o["deprecatedFirstTimestamp"] = ResourceJson.Timestamp(Seconds(first));
        if (e.LastTimestamp is { } last) o["deprecatedLastTimestamp"] = ResourceJson.Timestamp(Seconds(last));
        return o;
    }

    /// <summary>Reads a core v1 Event, as a reporter posts it or the API lists it.</summary>
    public static ObjectEvent Parse(JsonNode? node)
    {
        if (node is not JsonObject o) throw new FormatException("an Event must be a JSON object");
        foreach (var (key, _) in o)
        {
            if (!TopLevelFields.Contains(key)) throw new FormatException($"Event: unknown field \"{key}\"");
        }
        if (o["kind"] is { } kind && Text(kind, "kind") != "Event") throw new FormatException("kind: must be Event");
        if (o["involvedObject"] is not JsonObject subject) throw new FormatException("involvedObject: required");
        foreach (var (key, _) in subject)
        {
            if (!SubjectFields.Contains(key)) throw new FormatException($"involvedObject: unknown field \"{key}\"");
        }
        var type = OptionalText(o["type"], "type") ?? ObjectEvent.Normal;
        if (type is not (ObjectEvent.Normal or ObjectEvent.Warning)) throw new FormatException($"type: \"{type}\" is neither {ObjectEvent.Normal} nor {ObjectEvent.Warning}");
        var metadata = o["metadata"] as JsonObject;
        var source = o["source"] as JsonObject;
        return new ObjectEvent
        {
            Subject = new EventSubject(Word(subject["kind"], "involvedObject.kind"), OptionalText(subject["namespace"], "involvedObject.namespace"), Word(subject["name"], "involvedObject.name"))
            {
                Uid = OptionalText(subject["uid"], "involvedObject.uid"),
                ApiVersion = OptionalText(subject["apiVersion"], "involvedObject.apiVersion"),
                FieldPath = OptionalText(subject["fieldPath"], "involvedObject.fieldPath"),
            },
            Type = type,
            Reason = Word(o["reason"], "reason"),
            Message = Bounded(OptionalText(o["message"], "message") ?? "", "message", MaxMessageLength),
            Component = Bounded(OptionalText(source?["component"], "source.component") ?? OptionalText(o["reportingComponent"], "reportingComponent") ?? "", "source.component", MaxWordLength),
            Host = OptionalText(source?["host"], "source.host"),
            Name = OptionalText(metadata?["name"], "metadata.name"),
            Uid = OptionalText(metadata?["uid"], "metadata.uid"),
            ResourceVersion = OptionalText(metadata?["resourceVersion"], "metadata.resourceVersion"),
            FirstTimestamp = Time(o["firstTimestamp"], "firstTimestamp"),
            LastTimestamp = Time(o["lastTimestamp"], "lastTimestamp"),
            Count = o["count"] is JsonValue count && count.TryGetValue<int>(out var n) && n > 0 ? n : 1,
        };
    }

    /// <summary>Events are kept to the second, as Kubernetes' core v1 timestamps are.</summary>
    private static DateTimeOffset Seconds(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static JsonObject Metadata(ObjectEvent e)
    {
        var m = new JsonObject { ["name"] = e.Name ?? "", ["namespace"] = e.Namespace };
        if (e.Uid is not null) m["uid"] = e.Uid;
        if (e.ResourceVersion is not null) m["resourceVersion"] = e.ResourceVersion;
        if (e.FirstTimestamp is { } first) m["creationTimestamp"] = ResourceJson.Timestamp(Seconds(first));
        return m;
    }

    private static JsonObject Subject(EventSubject s)
    {
        var o = new JsonObject { ["kind"] = s.Kind, ["name"] = s.Name };
        if (s.Namespace is not null) o["namespace"] = s.Namespace;
        if (s.Uid is not null) o["uid"] = s.Uid;
        if (s.ApiVersion is not null) o["apiVersion"] = s.ApiVersion;
        if (s.FieldPath is not null) o["fieldPath"] = s.FieldPath;
        return o;
    }

    private static JsonObject Source(ObjectEvent e)
    {
        var o = new JsonObject { ["component"] = e.Component };
        if (e.Host is not null) o["host"] = e.Host;
        return o;
    }

    private static string Text(JsonNode node, string field) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new FormatException($"{field}: must be a string");

    private static string? OptionalText(JsonNode? node, string field) => node is null ? null : Text(node, field);

    private static string Word(JsonNode? node, string field)
    {
        var text = node is null ? "" : Text(node, field);
        if (text.Length == 0) throw new FormatException($"{field}: required");
        return Bounded(text, field, MaxWordLength);
    }

    private static string Bounded(string text, string field, int max) =>
        text.Length <= max ? text : throw new FormatException($"{field}: longer than {max} characters");

    private static DateTimeOffset? Time(JsonNode? node, string field)
    {
        if (node is null) return null;
        var text = Text(node, field);
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t
            : throw new FormatException($"{field}: \"{text}\" is not an RFC 3339 time");
    }

    /// <summary>The core v1 document as a request body.</summary>
    public static string Serialize(ObjectEvent e) => ToCoreV1(e).ToJsonString();
}

using System.Text;
using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.Protobuf;

/// <summary>
/// The protobuf bodies kubectl's typed commands send (<c>kubectl create namespace</c>,
/// <c>kubectl create secret generic</c>, <c>kubectl create configmap</c>): the "k8s\0" envelope
/// around a runtime.Unknown (typeMeta 1, raw 2), whose raw bytes are the object in
/// k8s.io/api's generated.proto numbering. They are turned into the JSON the manifest reader
/// checks like any other body. Only these kinds are read, and a field they carry that is not
/// mapped here refuses the whole body rather than dropping it.
/// </summary>
public static class KubernetesProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    /// <summary>The body as a JSON object, or why it cannot be read.</summary>
    public static JsonObject? ToJson(ReadOnlySpan<byte> body, out string? refusal)
    {
        refusal = null;
        try
        {
            if (!body.StartsWith(Magic)) throw new FormatException("the body does not start with the Kubernetes protobuf envelope (k8s\\0)");
            string? apiVersion = null, kind = null;
            ReadOnlySpan<byte> raw = default;
            var unknown = new ProtobufFields(body[Magic.Length..]);
            while (unknown.Next())
            {
                if (unknown.IsDefault) continue;
                switch (unknown.Field)
                {
                    case 1:
                        var typeMeta = new ProtobufFields(unknown.Bytes);
                        while (typeMeta.Next())
                        {
                            if (typeMeta.Field == 1) apiVersion = Text(typeMeta);
                            else if (typeMeta.Field == 2) kind = Text(typeMeta);
                        }
                        break;
                    case 2: raw = unknown.Bytes; break;
                    default: throw Unmapped("runtime.Unknown", unknown.Field);
                }
            }
            var json = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
            switch (apiVersion, kind)
            {
                case ("v1", "Namespace"): ReadObject(raw, json, NamespaceField); break;
                case ("v1", "Secret"): ReadObject(raw, json, SecretField); break;
                case ("v1", "ConfigMap"): ReadObject(raw, json, ConfigMapField); break;
                default: throw new FormatException($"{kind ?? "an object"} of {apiVersion ?? "no apiVersion"} is not read from protobuf");
            }
            return json;
        }
        catch (FormatException e)
        {
            refusal = e.Message;
            return null;
        }
    }

    private delegate void FieldReader(ref ProtobufFields fields, JsonObject json);

    private static void ReadObject(ReadOnlySpan<byte> raw, JsonObject json, FieldReader field)
    {
        var fields = new ProtobufFields(raw);
        while (fields.Next())
        {
            if (fields.IsDefault) continue;
            if (fields.Field == 1) json["metadata"] = Metadata(fields.Bytes);
            else field(ref fields, json);
        }
    }

    private static void NamespaceField(ref ProtobufFields fields, JsonObject json)
    {
        // spec (finalizers) and status (phase, conditions) say nothing in what kubectl creates.
        if (fields.Field is 2 or 3 && fields.IsLengthDelimited && SaysNothing(fields.Bytes)) return;
        throw Unmapped("Namespace", fields.Field);
    }

    private static void SecretField(ref ProtobufFields fields, JsonObject json)
    {
        switch (fields.Field)
        {
            case 2: Entry(json, "data", fields.Bytes, base64: true); break;
            case 3: json["type"] = Text(fields); break;
            case 4: Entry(json, "stringData", fields.Bytes, base64: false); break;
            case 5 when !fields.IsLengthDelimited: json["immutable"] = true; break;
            default: throw Unmapped("Secret", fields.Field);
        }
    }

    private static void ConfigMapField(ref ProtobufFields fields, JsonObject json)
    {
        switch (fields.Field)
        {
            case 2: Entry(json, "data", fields.Bytes, base64: false); break;
            case 3: Entry(json, "binaryData", fields.Bytes, base64: true); break;
            case 4 when !fields.IsLengthDelimited: json["immutable"] = true; break;
            default: throw Unmapped("ConfigMap", fields.Field);
        }
    }

    /// <summary>True when every field of the message, at any depth, holds its default (Go writes empty strings and messages out).</summary>
    private static bool SaysNothing(ReadOnlySpan<byte> message)
    {
        var fields = new ProtobufFields(message);
        while (fields.Next())
        {
            if (fields.IsDefault) continue;
            // A non-empty length-delimited value is a string or a nested message: only a message of defaults says nothing.
            if (!fields.IsLengthDelimited || !IsMessageOfDefaults(fields.Bytes)) return false;
        }
        return true;
    }

    private static bool IsMessageOfDefaults(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return SaysNothing(bytes);
        }
        catch (FormatException)
        {
            return false; // not a message: a string with content
        }
    }

    /// <summary>ObjectMeta (k8s.io/apimachinery meta/v1): name 1, generateName 2, namespace 3, labels 11, annotations 12.</summary>
    private static JsonObject Metadata(ReadOnlySpan<byte> message)
    {
        var meta = new JsonObject();
        var fields = new ProtobufFields(message);
        while (fields.Next())
        {
            if (fields.IsDefault) continue;
            switch (fields.Field)
            {
                case 1: meta["name"] = Text(fields); break;
                case 2: meta["generateName"] = Text(fields); break;
                case 3: meta["namespace"] = Text(fields); break;
                case 11: Entry(meta, "labels", fields.Bytes, base64: false); break;
                case 12: Entry(meta, "annotations", fields.Bytes, base64: false); break;
                default: throw Unmapped("ObjectMeta", fields.Field);
            }
        }
        return meta;
    }

    /// <summary>One entry of a protobuf map (key 1, value 2) added to the JSON object at <paramref name="key"/>.</summary>
    private static void Entry(JsonObject parent, string key, ReadOnlySpan<byte> entry, bool base64)
    {
        string? name = null;
        JsonNode? value = "";
        var fields = new ProtobufFields(entry);
        while (fields.Next())
        {
            if (fields.Field == 1) name = Text(fields);
            else if (fields.Field == 2) value = base64 ? Convert.ToBase64String(fields.Bytes) : Text(fields);
            else throw Unmapped($"{key} entry", fields.Field);
        }
        if (name is null) throw new FormatException($"an entry of {key} has no key");
        if (parent[key] is not JsonObject map) parent[key] = map = new JsonObject();
        map[name] = value;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static string Text(ProtobufFields fields)
    {
        if (!fields.IsLengthDelimited) throw new FormatException($"field {fields.Field} should be a string");
        try
        {
            return StrictUtf8.GetString(fields.Bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException($"field {fields.Field} is not UTF-8");
        }
    }

    private static FormatException Unmapped(string type, int field) =>
        new($"field {field} of {type} is not read from protobuf");
}

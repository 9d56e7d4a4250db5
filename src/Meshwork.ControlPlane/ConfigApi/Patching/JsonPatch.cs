using System.Globalization;
using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.Patching;

/// <summary>
/// JSON Patch (RFC 6902, <c>application/json-patch+json</c>): add, remove, replace, move, copy and
/// test, addressed by JSON Pointers (RFC 6901). The operations apply to a copy in order; the first
/// that fails rejects the whole patch (RFC 6902 section 5) with a <see cref="FormatException"/>.
/// </summary>
public static class JsonPatch
{
    public static JsonNode Apply(JsonNode target, JsonNode? patch)
    {
        if (patch is not JsonArray operations) throw new FormatException("a JSON patch must be an array of operations");
        var document = target.DeepClone();
        for (var i = 0; i < operations.Count; i++)
        {
            if (operations[i] is not JsonObject operation) throw new FormatException($"operation {i} is not an object");
            var op = Text(operation, "op", i);
            var path = Text(operation, "path", i);
            switch (op)
            {
                case "add":
                    document = Add(document, path, Value(operation, i));
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "replace":
                    Remove(document, path);
                    document = Add(document, path, Value(operation, i));
                    break;
                case "move":
                    var moveFrom = Text(operation, "from", i);
                    var moved = Get(document, moveFrom).DeepClone();
                    Remove(document, moveFrom);
                    document = Add(document, path, moved);
                    break;
                case "copy":
                    document = Add(document, path, Get(document, Text(operation, "from", i)).DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), Value(operation, i)))
                    {
                        throw new FormatException($"test operation {i} failed: the value at \"{path}\" differs");
                    }
                    break;
                default:
                    throw new FormatException($"operation {i}: unknown op \"{op}\" (add, remove, replace, move, copy, test)");
            }
        }
        return document;
    }

    private static string Text(JsonObject operation, string member, int index) =>
        operation[member] is JsonValue value && value.TryGetValue<string>(out var text)
            ? text
            : throw new FormatException($"operation {index} has no \"{member}\" string");

    private static JsonNode? Value(JsonObject operation, int index) =>
        operation.TryGetPropertyValue("value", out var value)
            ? value?.DeepClone()
            : throw new FormatException($"operation {index} has no \"value\"");

    /// <summary>RFC 6901: "/a/b~1c" → ["a", "b/c"]; "" is the whole document.</summary>
    private static string[] Tokens(string pointer)
    {
        if (pointer.Length == 0) return [];
        if (pointer[0] != '/') throw new FormatException($"\"{pointer}\" is not a JSON pointer (RFC 6901: it starts with '/')");
        return pointer[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
    }

    private static JsonNode Get(JsonNode document, string pointer)
    {
        var node = document;
        foreach (var token in Tokens(pointer)) node = Child(node, token, pointer);
        return node;
    }

    private static JsonNode Child(JsonNode node, string token, string pointer) => node switch
    {
        JsonObject o when o.TryGetPropertyValue(token, out var child) && child is not null => child,
        JsonArray a when Index(token, a.Count, pointer) is var i && i < a.Count => a[i]!,
        _ => throw new FormatException($"\"{pointer}\" does not exist"),
    };

    private static int Index(string token, int count, string pointer) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index <= count && (token == "0" || token[0] != '0')
            ? index
            : throw new FormatException($"\"{pointer}\": \"{token}\" is not an index of an array of {count}");

    private static (JsonNode Parent, string Last) Parent(JsonNode document, string pointer)
    {
        var tokens = Tokens(pointer);
        var parent = document;
        for (var i = 0; i < tokens.Length - 1; i++) parent = Child(parent, tokens[i], pointer);
        return (parent, tokens[^1]);
    }

    private static JsonNode Add(JsonNode document, string pointer, JsonNode? value)
    {
        if (pointer.Length == 0) return value ?? throw new FormatException("the whole document cannot be replaced by null");
        var (parent, last) = Parent(document, pointer);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a:
                a.Insert(last == "-" ? a.Count : Index(last, a.Count, pointer), value);
                break;
            default:
                throw new FormatException($"\"{pointer}\": the parent is neither an object nor an array");
        }
        return document;
    }

    private static void Remove(JsonNode document, string pointer)
    {
        if (pointer.Length == 0) throw new FormatException("the whole document cannot be removed");
        var (parent, last) = Parent(document, pointer);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                o.Remove(last);
                break;
            case JsonArray a when Index(last, a.Count, pointer) is var i && i < a.Count:
                a.RemoveAt(i);
                break;
            default:
                throw new FormatException($"\"{pointer}\" does not exist");
        }
    }
}

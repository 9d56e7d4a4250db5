using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshwork.Cli.Output;

/// <summary>
/// Writes JSON as YAML the way kubectl prints it: block style, keys sorted, list items flush with
/// their key, strings double-quoted only where YAML would read something else.
/// </summary>
internal static class OutputYaml
{
    public static string Write(JsonNode? node)
    {
        var text = new StringBuilder();
        WriteValue(text, node, 0, inList: false);
        return text.ToString();
    }

    private static void WriteValue(StringBuilder text, JsonNode? node, int indent, bool inList)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!(first && inList)) text.Append(' ', indent);
                    first = false;
                    text.Append(Scalar(key)).Append(':');
                    WriteChild(text, value, indent);
                }
                break;
            case JsonArray array when array.Count > 0:
                foreach (var item in array)
                {
                    text.Append(' ', indent).Append("- ");
                    if (item is JsonObject { Count: > 0 } || item is JsonArray { Count: > 0 })
                    {
                        if (item is JsonArray) text.Append('\n');
                        WriteValue(text, item, item is JsonArray ? indent + 2 : indent + 2, inList: item is JsonObject);
                    }
                    else
                    {
                        text.Append(ScalarOf(item)).Append('\n');
                    }
                }
                break;
            default:
                text.Append(ScalarOf(node)).Append('\n');
                break;
        }
    }

    private static void WriteChild(StringBuilder text, JsonNode? value, int indent)
    {
        switch (value)
        {
            case JsonObject { Count: > 0 }:
                text.Append('\n');
                WriteValue(text, value, indent + 2, inList: false);
                break;
            case JsonArray { Count: > 0 }:
                text.Append('\n');
                WriteValue(text, value, indent, inList: false);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains('\n'):
                // Multi-line strings (certificates, mesh config) as literal blocks.
                var s = v.GetValue<string>();
                text.Append(s.EndsWith('\n') ? " |\n" : " |-\n");
                foreach (var line in s.TrimEnd('\n').Split('\n'))
                {
                    if (line.Length > 0) text.Append(' ', indent + 2).Append(line);
                    text.Append('\n');
                }
                break;
            default:
                text.Append(' ').Append(ScalarOf(value)).Append('\n');
                break;
        }
    }

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string ScalarOf(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "{}",
        JsonArray => "[]",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => Scalar(v.GetValue<string>()),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => v.ToJsonString(),
            _ => v.ToJsonString(),
        },
        _ => node.ToJsonString(),
    };

    /// <summary>A string plain when YAML would read it back as the same string, quoted otherwise.</summary>
    private static string Scalar(string value)
    {
        if (value.Length == 0) return "\"\"";
        var needsQuotes =
            value is "true" or "false" or "yes" or "no" or "on" or "off" or "null" or "~" or "True" or "False" or "Yes" or "No" or "On" or "Off" or "Null" or "NULL" or "TRUE" or "FALSE"
            || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            || (char.IsAsciiDigit(value[0]) && value.Any(c => c is '-' or ':'))
            || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])
            || "-?:,[]{}#&*!|>'\"%@`".Contains(value[0])
            || value.Contains(": ", StringComparison.Ordinal) || value.Contains(" #", StringComparison.Ordinal) || value.EndsWith(':')
            || value.Any(c => char.IsControl(c));
        return needsQuotes ? JsonSerializer.Serialize(value, QuoteOptions) : value;
    }
}

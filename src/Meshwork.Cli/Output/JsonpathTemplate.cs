using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshwork.Cli.Output;

/// <summary>
/// kubectl's JSONPath output templates: text with <c>{expressions}</c>. Supports what scripts use:
/// <c>.field</c>, <c>..field</c> (recursive), <c>[N]</c>, <c>[-N]</c>, <c>[*]</c>, <c>['key']</c>,
/// quoted literals <c>{"\n"}</c>, and <c>{range EXPR}...{end}</c>. Several results are joined by spaces.
/// </summary>
public sealed class JsonpathTemplate
{
    private abstract record Part;
    private sealed record Text(string Value) : Part;
    private sealed record Expression(IReadOnlyList<Step> Steps) : Part;
    private sealed record Range(IReadOnlyList<Step> Steps, IReadOnlyList<Part> Body) : Part;

    private abstract record Step;
    private sealed record Child(string Name) : Step;
    private sealed record Descendant(string Name) : Step;
    private sealed record Index(int Value) : Step;
    private sealed record All : Step;

    private readonly IReadOnlyList<Part> _parts;

    private JsonpathTemplate(IReadOnlyList<Part> parts) => _parts = parts;

    /// <summary>Parses a template; throws <see cref="FormatException"/> naming the problem.</summary>
    public static JsonpathTemplate Parse(string template)
    {
        var position = 0;
        var parts = ParseParts(template, ref position, inRange: false);
        return new JsonpathTemplate(parts);
    }

    /// <summary>Evaluates against <paramref name="root"/>; throws <see cref="KeyNotFoundException"/> when a field is missing, as kubectl does.</summary>
    public string Evaluate(JsonNode? root)
    {
        var output = new StringBuilder();
        Render(_parts, root, root, output);
        return output.ToString();
    }

    private static void Render(IReadOnlyList<Part> parts, JsonNode? current, JsonNode? root, StringBuilder output)
    {
        foreach (var part in parts)
        {
            switch (part)
            {
                case Text t:
                    output.Append(t.Value);
                    break;
                case Expression e:
                    output.Append(string.Join(' ', Select(e.Steps, current).Select(Format)));
                    break;
                case Range r:
                    foreach (var item in Select(r.Steps, current)) Render(r.Body, item, root, output);
                    break;
            }
        }
    }

    private static List<JsonNode?> Select(IReadOnlyList<Step> steps, JsonNode? start)
    {
        var current = new List<JsonNode?> { start };
        foreach (var step in steps)
        {
            var next = new List<JsonNode?>();
            foreach (var node in current)
            {
                switch (step)
                {
                    case Child c when node is JsonObject o:
                        if (o.TryGetPropertyValue(c.Name, out var value)) next.Add(value);
                        break;
                    case Descendant d:
                        CollectDescendants(node, d.Name, next);
                        break;
                    case Index i when node is JsonArray a:
                        var at = i.Value < 0 ? a.Count + i.Value : i.Value;
                        if (at < 0 || at >= a.Count) throw new KeyNotFoundException($"array index out of bounds: index {i.Value}, length {a.Count}");
                        next.Add(a[at]);
                        break;
                    case All when node is JsonArray a:
                        next.AddRange(a);
                        break;
                    case All when node is JsonObject o:
                        next.AddRange(o.Select(p => p.Value));
                        break;
                }
            }
            if (next.Count == 0 && current.Count > 0 && step is Child missing)
            {
                throw new KeyNotFoundException($"{missing.Name} is not found");
            }
            current = next;
        }
        return current;
    }

    private static void CollectDescendants(JsonNode? node, string name, List<JsonNode?> into)
    {
        switch (node)
        {
            case JsonObject o:
                if (o.TryGetPropertyValue(name, out var value)) into.Add(value);
                foreach (var (_, child) in o) CollectDescendants(child, name, into);
                break;
            case JsonArray a:
                foreach (var child in a) CollectDescendants(child, name, into);
                break;
        }
    }

    private static string Format(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    private static List<Part> ParseParts(string template, ref int position, bool inRange)
    {
        var parts = new List<Part>();
        var text = new StringBuilder();
        while (position < template.Length)
        {
            var c = template[position];
            if (c != '{')
            {
                text.Append(c);
                position++;
                continue;
            }
            var close = FindClose(template, position);
            var inner = template[(position + 1)..close].Trim();
            position = close + 1;
            if (text.Length > 0)
            {
                parts.Add(new Text(text.ToString()));
                text.Clear();
            }
            if (inner == "end")
            {
                if (!inRange) throw new FormatException("jsonpath: {end} without {range}");
                return parts;
            }
            if (inner.StartsWith("range ", StringComparison.Ordinal))
            {
                var steps = ParseSteps(inner["range ".Length..].Trim());
                var body = ParseParts(template, ref position, inRange: true);
                parts.Add(new Range(steps, body));
                continue;
            }
            if (inner.Length >= 2 && (inner[0] == '"' || inner[0] == '\''))
            {
                parts.Add(new Text(Unquote(inner)));
                continue;
            }
            parts.Add(new Expression(ParseSteps(inner)));
        }
        if (inRange) throw new FormatException("jsonpath: {range} without {end}");
        if (text.Length > 0) parts.Add(new Text(text.ToString()));
        return parts;
    }

    private static int FindClose(string template, int open)
    {
        var quote = '\0';
        for (var i = open + 1; i < template.Length; i++)
        {
            var c = template[i];
            if (quote != '\0')
            {
                if (c == '\\') i++;
                else if (c == quote) quote = '\0';
            }
            else if (c is '"' or '\'') quote = c;
            else if (c == '}') return i;
        }
        throw new FormatException($"jsonpath: unclosed '{{' at {open} in \"{template}\"");
    }

    private static string Unquote(string literal)
    {
        if (literal[0] == '"') return JsonSerializer.Deserialize<string>(literal) ?? "";
        return literal[1..^1];
    }

    private static List<Step> ParseSteps(string expression)
    {
        var steps = new List<Step>();
        var i = 0;
        if (expression.StartsWith('$')) i = 1;
        while (i < expression.Length)
        {
            if (expression[i] == '.')
            {
                var recursive = i + 1 < expression.Length && expression[i + 1] == '.';
                i += recursive ? 2 : 1;
                var start = i;
                while (i < expression.Length && expression[i] is not ('.' or '[')) i++;
                var name = expression[start..i];
                if (name.Length == 0)
                {
                    if (recursive) throw new FormatException($"jsonpath: '..' needs a field name in \"{expression}\"");
                    continue;
                }
                steps.Add(name == "*" ? new All() : recursive ? new Descendant(name) : new Child(name));
            }
            else if (expression[i] == '[')
            {
                var end = expression.IndexOf(']', i);
                if (end < 0) throw new FormatException($"jsonpath: unclosed '[' in \"{expression}\"");
                var inside = expression[(i + 1)..end].Trim();
                i = end + 1;
                if (inside == "*") steps.Add(new All());
                else if (inside.Length >= 2 && inside[0] is '\'' or '"') steps.Add(new Child(inside[1..^1]));
                else if (int.TryParse(inside, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index)) steps.Add(new Index(index));
                else throw new FormatException($"jsonpath: unsupported subscript [{inside}] in \"{expression}\"");
            }
            else
            {
                // A bare leading name ("items[0]" without a dot) reads as a child.
                var start = i;
                while (i < expression.Length && expression[i] is not ('.' or '[')) i++;
                steps.Add(new Child(expression[start..i]));
            }
        }
        return steps;
    }
}

using System.Globalization;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>
/// The state of reading one document (or one item of a List): where diagnostics go and which node
/// every visited field path came from, so validators can point at a line and column.
/// </summary>
internal sealed class ReadContext(string file, int document, string pathPrefix, Node root, List<Diagnostic> sink)
{
    private readonly Dictionary<string, Node> _positions = new(StringComparer.Ordinal) { [""] = root };

    public string File { get; } = file;
    public int Document { get; } = document;
    public Node Root { get; } = root;
    public int ErrorCount { get; private set; }

    public void Record(string path, Node node) => _positions[path] = node;

    /// <summary>The node read at this path, if any.</summary>
    public Node? NodeAt(string path) => _positions.GetValueOrDefault(path);

    /// <summary>
    /// True when the object at <paramref name="path"/> was written with nothing in it (<c>{}</c>, or
    /// only nulls and empty lists). Values of the wrong type still count as written, so a type
    /// error is not followed by a second "must not be empty" error.
    /// </summary>
    public bool IsEmptyObject(string path) =>
        NodeAt(path) is MappingNode map && map.Entries.All(e => e.Value is ScalarNode { IsNull: true } or SequenceNode { Items.Count: 0 });

    /// <summary>True when the document had a (non-null) value at this path.</summary>
    public bool Has(string path) => _positions.ContainsKey(path);

    public void Error(Node node, string path, string message, string? hint = null) => Add(Severity.Error, node.Line, node.Column, path, message, hint);

    public void Warning(Node node, string path, string message, string? hint = null) => Add(Severity.Warning, node.Line, node.Column, path, message, hint);

    /// <summary>Reports at the node read for <paramref name="path"/>, or its nearest recorded parent.</summary>
    public void Error(string path, string message, string? hint = null)
    {
        var node = NearestNode(path);
        Add(Severity.Error, node.Line, node.Column, path, message, hint);
    }

    public void Warning(string path, string message, string? hint = null)
    {
        var node = NearestNode(path);
        Add(Severity.Warning, node.Line, node.Column, path, message, hint);
    }

    private Node NearestNode(string path)
    {
        var p = path;
        while (true)
        {
            if (_positions.TryGetValue(p, out var node)) return node;
            if (p.Length == 0) return Root;
            var cut = Math.Max(p.LastIndexOf('.'), p.LastIndexOf('['));
            p = cut <= 0 ? "" : p[..cut];
        }
    }

    private void Add(Severity severity, int line, int column, string path, string message, string? hint)
    {
        if (severity == Severity.Error) ErrorCount++;
        var full = pathPrefix.Length == 0 ? path : path.Length == 0 ? pathPrefix : path.StartsWith('[') ? pathPrefix + path : $"{pathPrefix}.{path}";
        sink.Add(new Diagnostic(severity, File, Document, line, column, full, message, hint));
    }

    public MapReader MapAt(Node? node, string path)
    {
        if (node is null or ScalarNode { IsNull: true }) return new MapReader(this, null, path);
        if (node is MappingNode map) return new MapReader(this, map, path);
        Error(node, path, $"expected an object, got {Describe(node)}");
        return new MapReader(this, null, path);
    }

    public string? StringOf(Node node, string path)
    {
        switch (node)
        {
            case ScalarNode { IsNull: true }:
                return null;
            case ScalarNode { Type: ScalarType.String } s:
                return s.Value;
            case ScalarNode s:
                Error(node, path, $"expected a string, got {Describe(node)}", $"quote it: \"{s.Value}\"");
                return null;
            default:
                Error(node, path, $"expected a string, got {Describe(node)}");
                return null;
        }
    }

    /// <summary>
    /// An integer. Istio's protobuf-JSON decoding also takes a quoted number (<c>number: "80"</c>);
    /// Kubernetes' typed fields do not, so <paramref name="allowQuoted"/> follows the kind.
    /// </summary>
    public long? IntegerOf(Node node, string path, bool allowQuoted, long min = int.MinValue, long max = int.MaxValue)
    {
        if (node is not ScalarNode s)
        {
            Error(node, path, $"expected an integer, got {Describe(node)}");
            return null;
        }
        if (s.IsNull) return null;
        if (s.Type == ScalarType.String && !allowQuoted)
        {
            var hint = long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _) ? $"remove the quotes: {s.Value}" : null;
            Error(node, path, $"expected an integer, got string \"{s.Value}\"", hint);
            return null;
        }
        if (s.Type is not (ScalarType.Int or ScalarType.String) || !TryParseInteger(s.Value, out var value))
        {
            Error(node, path, $"expected an integer, got {Describe(node)}");
            return null;
        }
        if (value < min || value > max)
        {
            Error(node, path, $"{value} is out of range", $"use a value between {min} and {max}");
            return null;
        }
        return value;
    }

    private static bool TryParseInteger(string text, out long value)
    {
        if (text.StartsWith("0x", StringComparison.Ordinal))
        {
            return long.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        if (text.StartsWith("0o", StringComparison.Ordinal))
        {
            value = 0;
            foreach (var c in text.AsSpan(2))
            {
                if (c is < '0' or > '7' || value > long.MaxValue / 8) return false;
                value = value * 8 + (c - '0');
            }
            return true;
        }
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public bool? BoolOf(Node node, string path)
    {
        if (node is ScalarNode { IsNull: true }) return null;
        if (node is ScalarNode { Type: ScalarType.Bool } s) return s.Value is "true" or "True" or "TRUE";
        var hint = node is ScalarNode { Type: ScalarType.String } q && q.Value.ToLowerInvariant() is "true" or "false" ? $"remove the quotes: {q.Value.ToLowerInvariant()}" : "use true or false";
        Error(node, path, $"expected a boolean, got {Describe(node)}", hint);
        return null;
    }

    public static string Describe(Node node) => node switch
    {
        ScalarNode { Type: ScalarType.String } s => $"string \"{Shorten(s.Value)}\"",
        ScalarNode s => $"{s.TypeName} {s.Value}",
        _ => $"a {node.TypeName}",
    };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..37] + "...";
}

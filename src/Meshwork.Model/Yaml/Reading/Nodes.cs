namespace Meshwork.Model.Yaml.Reading;

/// <summary>
/// A parsed document node with the position it was read from. YAML and JSON both load into this
/// small tree, so every later step (typed reading, validation) reports positions the same way.
/// </summary>
internal abstract class Node(int line, int column)
{
    public int Line { get; } = line;
    public int Column { get; } = column;
    public abstract string TypeName { get; }

    /// <summary>
    /// Roughly how many bytes this node stands for once YAML aliases are expanded (a scalar its length plus
    /// one, a collection one plus its items); the loader uses it to refuse documents that alias their way to
    /// an enormous resource from a few lines.
    /// </summary>
    public long Weight { get; set; } = 1;
}

internal enum ScalarType { Null, Bool, Int, Float, String }

internal sealed class ScalarNode(int line, int column, string value, bool quoted) : Node(line, column)
{
    /// <summary>The text as written (unquoted, unescaped).</summary>
    public string Value { get; } = value;

    /// <summary>Quoted (or explicitly tagged !!str) scalars are always strings.</summary>
    public bool Quoted { get; } = quoted;

    /// <summary>
    /// The type a plain scalar resolves to, as the YAML 1.2 core schema (and JSON) resolve it;
    /// Kubernetes decodes with the same resolution, which is why <c>inject: true</c> is a bool and
    /// <c>inject: "true"</c> a string.
    /// </summary>
    public ScalarType Type => Quoted ? ScalarType.String : Resolve(Value);

    public override string TypeName => Type switch
    {
        ScalarType.Null => "null",
        ScalarType.Bool => "boolean",
        ScalarType.Int => "integer",
        ScalarType.Float => "number",
        _ => "string",
    };

    public bool IsNull => Type == ScalarType.Null;

    private static ScalarType Resolve(string v)
    {
        switch (v)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return ScalarType.Null;
            case "true" or "True" or "TRUE" or "false" or "False" or "FALSE":
                return ScalarType.Bool;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "-.inf" or ".nan" or ".NaN" or ".NAN":
                return ScalarType.Float;
        }
        var span = v.AsSpan();
        if (span.StartsWith("0x") && span.Length > 2 && IsAll(span[2..], Uri.IsHexDigit)) return ScalarType.Int;
        if (span.StartsWith("0o") && span.Length > 2 && IsAll(span[2..], c => c is >= '0' and <= '7')) return ScalarType.Int;
        var digits = span[0] is '-' or '+' ? span[1..] : span;
        if (digits.Length > 0 && IsAll(digits, char.IsAsciiDigit)) return ScalarType.Int;
        return LooksLikeFloat(digits) ? ScalarType.Float : ScalarType.String;
    }

    private static bool IsAll(ReadOnlySpan<char> s, Func<char, bool> ok)
    {
        foreach (var c in s) if (!ok(c)) return false;
        return true;
    }

    // [0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)? with at least one digit in the mantissa.
    private static bool LooksLikeFloat(ReadOnlySpan<char> s)
    {
        int i = 0, mantissaDigits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; mantissaDigits++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; mantissaDigits++; }
        }
        if (mantissaDigits == 0) return false;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '-' or '+') i++;
            var expDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; expDigits++; }
            if (expDigits == 0) return false;
        }
        return i == s.Length;
    }
}

internal sealed class SequenceNode(int line, int column, List<Node> items) : Node(line, column)
{
    public List<Node> Items { get; } = items;
    public override string TypeName => "list";
}

internal sealed class MappingNode(int line, int column, List<KeyValuePair<ScalarNode, Node>> entries) : Node(line, column)
{
    public List<KeyValuePair<ScalarNode, Node>> Entries { get; } = entries;
    public override string TypeName => "object";

    public bool TryGet(string key, out ScalarNode keyNode, out Node value)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key.Value == key)
            {
                keyNode = entry.Key;
                value = entry.Value;
                return true;
            }
        }
        keyNode = null!;
        value = null!;
        return false;
    }
}

/// <summary>A document as loaded, before typed reading: its 1-based number in the file and its root.</summary>
internal sealed record LoadedDocument(int Number, Node Root);

/// <summary>A problem found while loading (duplicate keys, complex keys) that does not stop the file.</summary>
internal sealed record LoadProblem(int Document, int Line, int Column, string Path, string Message, string? Hint);

internal sealed record LoadResult(List<LoadedDocument> Documents, List<LoadProblem> Problems, LoadProblem? Fatal);

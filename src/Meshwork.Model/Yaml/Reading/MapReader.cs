using System.Collections.Immutable;
using Meshwork.Model.Schema;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>
/// Reads the fields of one mapping. Every field the typed reader asks for becomes "known";
/// <see cref="Finish"/> then reports each field the schema does not know as an error (with a
/// "did you mean" hint), and each field Istio or Kubernetes knows but Meshwork does not enforce as
/// a warning that names it. Nothing is dropped silently.
/// </summary>
internal sealed class MapReader(ReadContext ctx, MappingNode? node, string path)
{
    // Reading is on the control plane's hot path (every object it loads from the store), so the
    // bookkeeping is cheap: a consumed flag per entry, and name lists that are only searched when
    // an entry was not consumed.
    private readonly bool[]? _consumed = node is null ? null : new bool[node.Entries.Count];
    private List<string>? _asked;
    private List<(string[] Keys, string Reason)>? _unsupported;
    private List<string[]>? _accepted;

    public ReadContext Context => ctx;
    public MappingNode? Node => node;
    public string Path => path;
    /// <summary>True when the mapping exists in the document (even when empty).</summary>
    public bool Present => node is not null;

    public string Child(string key) => path.Length == 0 ? key : $"{path}.{key}";

    /// <summary>The value at <paramref name="key"/>, or null when absent or null.</summary>
    public Node? Raw(string key)
    {
        (_asked ??= []).Add(key);
        if (node is null) return null;
        var entries = node.Entries;
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Key.Value != key) continue;
            _consumed![i] = true;
            var value = entries[i].Value;
            if (value is ScalarNode { IsNull: true }) return null;
            ctx.Record(Child(key), value);
            return value;
        }
        return null;
    }

    public string? String(string key) => Raw(key) is { } n ? ctx.StringOf(n, Child(key)) : null;

    public int? Int(string key, bool allowQuoted = false, int min = int.MinValue, int max = int.MaxValue)
        => Raw(key) is { } n ? (int?)ctx.IntegerOf(n, Child(key), allowQuoted, min, max) : null;

    public long? Long(string key, bool allowQuoted = false)
        => Raw(key) is { } n ? ctx.IntegerOf(n, Child(key), allowQuoted, long.MinValue, long.MaxValue) : null;

    public bool? Bool(string key) => Raw(key) is { } n ? ctx.BoolOf(n, Child(key)) : null;

    public MapReader Map(string key) => ctx.MapAt(Raw(key), Child(key));

    /// <summary>The items of a list field with their paths; a wrong type is reported and reads as empty.</summary>
    public IReadOnlyList<(Node Node, string Path)> List(string key)
    {
        var raw = Raw(key);
        if (raw is null) return [];
        if (raw is not SequenceNode seq)
        {
            ctx.Error(raw, Child(key), $"expected a list, got {ReadContext.Describe(raw)}", "write the value as a list item: \"- value\"");
            return [];
        }
        var items = new List<(Node, string)>(seq.Items.Count);
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var itemPath = $"{Child(key)}[{i}]";
            ctx.Record(itemPath, seq.Items[i]);
            items.Add((seq.Items[i], itemPath));
        }
        return items;
    }

    /// <summary>Reads a list of objects with <paramref name="read"/>, dropping items that are not objects.</summary>
    public ImmutableArray<T> Objects<T>(string key, Func<MapReader, T> read)
    {
        var list = List(key);
        if (list.Count == 0) return [];
        var builder = ImmutableArray.CreateBuilder<T>(list.Count);
        foreach (var (item, itemPath) in list)
        {
            var reader = ctx.MapAt(item, itemPath);
            if (!reader.Present)
            {
                if (item is ScalarNode { IsNull: true }) ctx.Error(item, itemPath, "expected an object, got null");
                continue;
            }
            builder.Add(read(reader));
        }
        return builder.ToImmutable();
    }

    public ImmutableArray<string> Strings(string key)
    {
        var list = List(key);
        if (list.Count == 0) return [];
        var builder = ImmutableArray.CreateBuilder<string>(list.Count);
        foreach (var (item, itemPath) in list)
        {
            if (ctx.StringOf(item, itemPath) is { } s) builder.Add(s);
            else if (item is ScalarNode { IsNull: true }) ctx.Error(item, itemPath, "expected a string, got null");
        }
        return builder.ToImmutable();
    }

    /// <summary>A map of string to string (labels, annotations, ConfigMap data). Entry paths are <c>key[name]</c>.</summary>
    public ImmutableSortedDictionary<string, string> StringMap(string key)
    {
        var raw = Raw(key);
        if (raw is null) return ImmutableSortedDictionary<string, string>.Empty;
        if (raw is not MappingNode map)
        {
            ctx.Error(raw, Child(key), $"expected an object of strings, got {ReadContext.Describe(raw)}");
            return ImmutableSortedDictionary<string, string>.Empty;
        }
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in map.Entries)
        {
            var entryPath = $"{Child(key)}[{k.Value}]";
            ctx.Record(entryPath, v);
            if (v is ScalarNode { IsNull: true })
            {
                builder[k.Value] = "";
                continue;
            }
            if (ctx.StringOf(v, entryPath) is { } s) builder[k.Value] = s;
        }
        return builder.ToImmutable();
    }

    /// <summary>An enum written with Istio's or Kubernetes' exact spelling; anything else is an error listing the valid values.</summary>
    public T? Enum<T>(string key, IReadOnlyList<(string Name, T Value)> values) where T : struct
    {
        var raw = Raw(key);
        if (raw is null) return null;
        if (ctx.StringOf(raw, Child(key)) is not { } text) return null;
        foreach (var (name, value) in values)
        {
            if (name == text) return value;
        }
        var valid = string.Join(", ", values.Select(v => v.Name));
        var near = values.FirstOrDefault(v => string.Equals(v.Name, text, StringComparison.OrdinalIgnoreCase)).Name;
        var hint = near is not null ? $"did you mean {near}? valid values: {valid}" : $"valid values: {valid}";
        ctx.Error(raw, Child(key), $"invalid value \"{text}\"", hint);
        return null;
    }

    /// <summary>Same as <see cref="Enum{T}"/> for enums kept as strings in the records.</summary>
    public string? EnumString(string key, IReadOnlyList<string> values, bool ignoreCase = false)
    {
        var raw = Raw(key);
        if (raw is null) return null;
        if (ctx.StringOf(raw, Child(key)) is not { } text) return null;
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (values.Any(v => string.Equals(v, text, comparison))) return text;
        var valid = string.Join(", ", values);
        var near = values.FirstOrDefault(v => string.Equals(v, text, StringComparison.OrdinalIgnoreCase));
        ctx.Error(raw, Child(key), $"invalid value \"{text}\"", near is not null ? $"did you mean {near}? valid values: {valid}" : $"valid values: {valid}");
        return null;
    }

    /// <summary>
    /// Fields Istio or Kubernetes define that Meshwork does not enforce: each one present is a
    /// warning naming it, so a user never believes a setting is in force when it is not.
    /// </summary>
    public void Unsupported(params string[] keys) => (_unsupported ??= []).Add((keys, ""));

    /// <summary>Unsupported with a reason appended to the warning.</summary>
    public void UnsupportedBecause(string key, string reason) => (_unsupported ??= []).Add(([key], reason));

    /// <summary>Fields that are known and legitimately carry no meaning for Meshwork (bookkeeping written by servers).</summary>
    public void Accept(params string[] keys) => (_accepted ??= []).Add(keys);

    /// <summary>Reports unsupported fields (warnings) and unknown fields (errors).</summary>
    public void Finish()
    {
        if (node is null) return;
        for (var i = 0; i < node.Entries.Count; i++)
        {
            if (_consumed![i]) continue;
            var (key, value) = node.Entries[i];
            if (_asked is not null && _asked.Contains(key.Value)) continue;
            if (_accepted is not null && _accepted.Any(keys => keys.Contains(key.Value))) continue;
            var fieldPath = Child(key.Value);
            if (_unsupported?.FirstOrDefault(u => u.Keys.Contains(key.Value)) is { Keys: not null } unsupported)
            {
                ctx.Record(fieldPath, value);
                var because = unsupported.Reason.Length == 0 ? "" : $" ({unsupported.Reason})";
                ctx.Warning(key, fieldPath, $"field \"{key.Value}\" is not enforced by Meshwork yet; it is accepted and has no effect{because}");
                continue;
            }
            var known = (_asked ?? []).Concat(_unsupported?.SelectMany(u => u.Keys) ?? []).Distinct().ToList();
            var suggestion = Suggest.Closest(key.Value, known.Concat(_accepted?.SelectMany(a => a) ?? []));
            var hint = suggestion is not null
                ? $"did you mean \"{suggestion}\"?"
                : $"known fields here: {string.Join(", ", known.Order(StringComparer.Ordinal))}";
            ctx.Error(key, fieldPath, $"unknown field \"{key.Value}\"", hint);
        }
    }
}

using System.Collections.Immutable;

namespace Meshwork.Store;

/// <summary>
/// A Kubernetes label selector string (<c>app=sleep</c>, <c>tier!=db</c>, <c>env in (a,b)</c>,
/// <c>env notin (c)</c>, <c>team</c>, <c>!legacy</c>), requirements joined by commas (AND).
/// </summary>
public sealed class LabelSelectorQuery
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private sealed record Requirement(string Key, Op Op, ImmutableArray<string> Values);

    private readonly ImmutableArray<Requirement> _requirements;

    private LabelSelectorQuery(ImmutableArray<Requirement> requirements, string text)
    {
        _requirements = requirements;
        Text = text;
    }

    public string Text { get; }

    public bool IsEmpty => _requirements.IsEmpty;

    public override string ToString() => Text;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static LabelSelectorQuery Parse(string? text)
    {
        var requirements = ImmutableArray.CreateBuilder<Requirement>();
        var input = text ?? "";
        foreach (var part in SplitTopLevel(input))
        {
            var term = part.Trim();
            if (term.Length == 0) continue;
            requirements.Add(ParseRequirement(term, input));
        }
        return new LabelSelectorQuery(requirements.ToImmutable(), input);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var r in _requirements)
        {
            var has = labels.TryGetValue(r.Key, out var value);
            var ok = r.Op switch
            {
                Op.Equals => has && value == r.Values[0],
                Op.NotEquals => !has || value != r.Values[0],
                Op.In => has && r.Values.Contains(value!),
                Op.NotIn => !has || !r.Values.Contains(value!),
                Op.Exists => has,
                Op.DoesNotExist => !has,
                _ => false,
            };
            if (!ok) return false;
        }
        return true;
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(': depth++; break;
                case ')': depth--; break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }
        yield return text[start..];
    }

    private static Requirement ParseRequirement(string term, string whole)
    {
        if (term.StartsWith('!'))
        {
            return new Requirement(Key(term[1..].Trim(), whole), Op.DoesNotExist, []);
        }
        var notEquals = term.IndexOf("!=", StringComparison.Ordinal);
        if (notEquals > 0)
        {
            return new Requirement(Key(term[..notEquals].Trim(), whole), Op.NotEquals, [Value(term[(notEquals + 2)..].Trim(), whole)]);
        }
        var equals = term.IndexOf('=');
        if (equals > 0)
        {
            var rest = term[(equals + 1)..];
            if (rest.StartsWith('=')) rest = rest[1..];
            return new Requirement(Key(term[..equals].Trim(), whole), Op.Equals, [Value(rest.Trim(), whole)]);
        }
        var words = term.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 2)
        {
            var rest = words[1];
            Op op;
            if (rest.StartsWith("notin", StringComparison.Ordinal)) { op = Op.NotIn; rest = rest[5..]; }
            else if (rest.StartsWith("in", StringComparison.Ordinal)) { op = Op.In; rest = rest[2..]; }
            else throw new FormatException($"unable to parse requirement \"{term}\" in label selector \"{whole}\": expected 'in' or 'notin'");
            rest = rest.Trim();
            if (!rest.StartsWith('(') || !rest.EndsWith(')'))
            {
                throw new FormatException($"unable to parse requirement \"{term}\" in label selector \"{whole}\": values must be in parentheses");
            }
            var values = rest[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(v => Value(v, whole)).ToImmutableArray();
            if (values.IsEmpty) throw new FormatException($"label selector \"{whole}\": '{words[0]} {op.ToString().ToLowerInvariant()}' needs at least one value");
            return new Requirement(Key(words[0], whole), op, values);
        }
        return new Requirement(Key(term, whole), Op.Exists, []);
    }

    private static string Key(string key, string whole)
    {
        if (key.Length == 0 || !ResourceNames.IsQualifiedName(key))
        {
            throw new FormatException($"invalid label key \"{key}\" in label selector \"{whole}\"");
        }
        return key;
    }

    private static string Value(string value, string whole)
    {
        if (!ResourceNames.IsLabelValue(value))
        {
            throw new FormatException($"invalid label value \"{value}\" in label selector \"{whole}\"");
        }
        return value;
    }
}

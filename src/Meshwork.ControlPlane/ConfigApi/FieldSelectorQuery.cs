using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.ConfigApi;

/// <summary>
/// A Kubernetes field selector (<c>metadata.name=x</c>, <c>metadata.namespace!=y</c>), terms joined
/// by commas (AND). Every kind serves the two metadata fields, as in Kubernetes, and a few kinds
/// more (events: <c>involvedObject.name</c>, …); any other field is refused with a
/// <see cref="FormatException"/> rather than ignored, so a selector never widens a list.
/// </summary>
public sealed class FieldSelectorQuery
{
    private sealed record Term(string Field, string Value, bool Negated);

    private static readonly string[] Fields = ["metadata.name", "metadata.namespace"];

    private readonly ImmutableArray<Term> _terms;

    private FieldSelectorQuery(ImmutableArray<Term> terms) => _terms = terms;

    public bool IsEmpty => _terms.IsEmpty;

    public static FieldSelectorQuery Parse(string? text) => Parse(text, Fields);

    /// <summary>Parses a selector over <paramref name="fields"/>, the fields the listed kind serves.</summary>
    public static FieldSelectorQuery Parse(string? text, IReadOnlyCollection<string> fields)
    {
        var terms = ImmutableArray.CreateBuilder<Term>();
        foreach (var part in (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var negated = part.Contains("!=", StringComparison.Ordinal);
            var separator = negated ? "!=" : part.Contains("==", StringComparison.Ordinal) ? "==" : "=";
            var at = part.IndexOf(separator, StringComparison.Ordinal);
            if (at <= 0) throw new FormatException($"field selector \"{part}\": expected field=value, field==value or field!=value");
            var field = part[..at].Trim();
            if (!fields.Contains(field)) throw new FormatException($"field selector \"{part}\": \"{field}\" is not a supported field (supported: {string.Join(", ", fields)})");
            terms.Add(new Term(field, part[(at + separator.Length)..].Trim(), negated));
        }
        return new FieldSelectorQuery(terms.ToImmutable());
    }

    public bool Matches(Resource resource) =>
        Matches(field => field == "metadata.name" ? resource.Metadata.Name : resource.Metadata.Namespace ?? "");

    /// <summary>
    /// Whether every term holds for the object whose field values <paramref name="valueOf"/> gives.
    /// A null value means the object does not know that field, and the term does not judge it.
    /// </summary>
    public bool Matches(Func<string, string?> valueOf)
    {
        ArgumentNullException.ThrowIfNull(valueOf);
        foreach (var term in _terms)
        {
            if (valueOf(term.Field) is not { } actual) continue;
            if ((actual == term.Value) == term.Negated) return false;
        }
        return true;
    }
}

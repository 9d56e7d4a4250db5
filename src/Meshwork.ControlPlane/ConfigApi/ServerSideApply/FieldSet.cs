using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.ServerSideApply;

/// <summary>
/// A set of an object's fields, as server-side apply tracks ownership: each member is the path of
/// a leaf (a value, a list, or an empty object) from the object's root. Lists are atomic, as
/// Kubernetes treats lists of custom resources without a list-type: whoever sets a list owns
/// all of it. The wire form is FieldsV1 (<c>{"f:spec":{"f:mtls":{"f:mode":{}}}}</c>).
/// </summary>
public sealed class FieldSet
{
    private const string FieldPrefix = "f:";
    private readonly ImmutableSortedSet<FieldPath> _paths;

    private FieldSet(ImmutableSortedSet<FieldPath> paths) => _paths = paths;

    public static FieldSet Empty { get; } = new([]);

    public IReadOnlyCollection<FieldPath> Paths => _paths;

    public bool IsEmpty => _paths.IsEmpty;

    public bool Contains(FieldPath path) => _paths.Contains(path);

    public FieldSet Except(IEnumerable<FieldPath> paths) => new(_paths.Except(paths));

    public FieldSet Union(IEnumerable<FieldPath> paths) => new(_paths.Union(paths));

    /// <summary>
    /// The fields an applied configuration sets: everything but what identifies the object or the
    /// server writes (apiVersion, kind, metadata's name, namespace and bookkeeping, status).
    /// </summary>
    public static FieldSet Of(JsonObject applied)
    {
        var paths = ImmutableSortedSet.CreateBuilder<FieldPath>();
        foreach (var (name, value) in applied)
        {
            if (name is "apiVersion" or "kind" or "status") continue;
            if (name == "metadata" && value is JsonObject metadata)
            {
                foreach (var (field, fieldValue) in metadata)
                {
                    if (field is "labels" or "annotations") Collect(fieldValue, new FieldPath(["metadata", field]), paths);
                }
                continue;
            }
            Collect(value, new FieldPath([name]), paths);
        }
        return new FieldSet(paths.ToImmutable());
    }

    private static void Collect(JsonNode? value, FieldPath path, ImmutableSortedSet<FieldPath>.Builder paths)
    {
        if (value is JsonObject o && o.Count > 0)
        {
            foreach (var (name, child) in o) Collect(child, path.Child(name), paths);
            return;
        }
        paths.Add(path);
    }

    /// <summary>Reads a FieldsV1 document; a key without the <c>f:</c> prefix (list items, ".") is not a field of this model and is skipped.</summary>
    public static FieldSet FromFieldsV1(string json)
    {
        var paths = ImmutableSortedSet.CreateBuilder<FieldPath>();
        void Walk(JsonObject node, FieldPath? path)
        {
            var leaf = true;
            foreach (var (key, child) in node)
            {
                if (!key.StartsWith(FieldPrefix, StringComparison.Ordinal) || child is not JsonObject next) continue;
                leaf = false;
                var name = key[FieldPrefix.Length..];
                Walk(next, path is null ? new FieldPath([name]) : path.Child(name));
            }
            if (leaf && path is not null) paths.Add(path);
        }
        if (JsonNode.Parse(json) is JsonObject root) Walk(root, null);
        return new FieldSet(paths.ToImmutable());
    }

    /// <summary>The FieldsV1 document, with keys in ordinal order (the canonical text the model compares).</summary>
    public string ToFieldsV1()
    {
        var root = new JsonObject();
        foreach (var path in _paths)
        {
            var node = root;
            foreach (var segment in path.Segments)
            {
                var key = FieldPrefix + segment;
                if (node[key] is not JsonObject next) node[key] = next = [];
                node = next;
            }
        }
        return Sorted(root).ToJsonString();
    }

    private static JsonObject Sorted(JsonObject node)
    {
        var sorted = new JsonObject();
        foreach (var (key, child) in node.OrderBy(p => p.Key, StringComparer.Ordinal)) sorted[key] = Sorted((JsonObject)child!);
        return sorted;
    }
}

/// <summary>The path of one field from an object's root: <c>spec</c>, <c>mtls</c>, <c>mode</c>.</summary>
public sealed class FieldPath(ImmutableArray<string> segments) : IComparable<FieldPath>, IEquatable<FieldPath>
{
    public ImmutableArray<string> Segments { get; } = segments;

    public FieldPath Child(string name) => new(Segments.Add(name));

    /// <summary>Two fields overlap when one is the other or lies inside it.</summary>
    public bool Overlaps(FieldPath other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var shorter = Math.Min(Segments.Length, other.Segments.Length);
        for (var i = 0; i < shorter; i++)
        {
            if (!string.Equals(Segments[i], other.Segments[i], StringComparison.Ordinal)) return false;
        }
        return true;
    }

    /// <summary>The value at this path in <paramref name="root"/>, or null when any step is missing.</summary>
    public JsonNode? ValueIn(JsonObject root)
    {
        JsonNode? node = root;
        foreach (var segment in Segments) node = node is JsonObject o && o.TryGetPropertyValue(segment, out var next) ? next : null;
        return node;
    }

    /// <summary>Sets the value at this path, creating the objects on the way.</summary>
    public void Set(JsonObject root, JsonNode? value)
    {
        var node = root;
        foreach (var segment in Segments[..^1])
        {
            if (node[segment] is not JsonObject next) node[segment] = next = [];
            node = next;
        }
        node[Segments[^1]] = value?.DeepClone();
    }

    /// <summary>Removes the field, and the objects on the way that it leaves empty.</summary>
    public void Remove(JsonObject root)
    {
        static void RemoveFrom(JsonObject node, ReadOnlySpan<string> segments)
        {
            if (segments.Length == 1) { node.Remove(segments[0]); return; }
            if (node[segments[0]] is not JsonObject child) return;
            RemoveFrom(child, segments[1..]);
            if (child.Count == 0) node.Remove(segments[0]);
        }
        RemoveFrom(root, Segments.AsSpan());
    }

    /// <summary>As Kubernetes prints a conflicting field: <c>.spec.mtls.mode</c>.</summary>
    public override string ToString() => string.Concat(Segments.Select(s => "." + s));

    public int CompareTo(FieldPath? other)
    {
        if (other is null) return 1;
        for (var i = 0; i < Math.Min(Segments.Length, other.Segments.Length); i++)
        {
            var c = string.CompareOrdinal(Segments[i], other.Segments[i]);
            if (c != 0) return c;
        }
        return Segments.Length.CompareTo(other.Segments.Length);
    }

    public bool Equals(FieldPath? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => Equals(obj as FieldPath);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var segment in Segments) hash.Add(segment, StringComparer.Ordinal);
        return hash.ToHashCode();
    }
}

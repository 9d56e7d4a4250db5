using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

/// <summary>
/// Structural equality for the collections inside records. ImmutableArray and
/// ImmutableSortedDictionary compare by reference, which would make every re-read resource look
/// changed; records override Equals with these so that equality is the change detector.
/// </summary>
internal static class Equality
{
    public static bool Seq<T>(ImmutableArray<T> a, ImmutableArray<T> b)
    {
        if (a.IsDefaultOrEmpty) return b.IsDefaultOrEmpty;
        if (b.IsDefaultOrEmpty || a.Length != b.Length) return false;
        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < a.Length; i++)
        {
            if (!comparer.Equals(a[i], b[i])) return false;
        }
        return true;
    }

    public static bool Map<TKey, TValue>(ImmutableSortedDictionary<TKey, TValue>? a, ImmutableSortedDictionary<TKey, TValue>? b)
        where TKey : notnull
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return (a?.Count ?? 0) == 0 && (b?.Count ?? 0) == 0;
        if (a.Count != b.Count) return false;
        var comparer = EqualityComparer<TValue>.Default;
        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other) || !comparer.Equals(value, other)) return false;
        }
        return true;
    }

    public static bool Bytes(ImmutableSortedDictionary<string, ImmutableArray<byte>>? a, ImmutableSortedDictionary<string, ImmutableArray<byte>>? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return (a?.Count ?? 0) == 0 && (b?.Count ?? 0) == 0;
        if (a.Count != b.Count) return false;
        foreach (var (key, value) in a)
        {
            if (!b.TryGetValue(key, out var other)) return false;
            if (!value.AsSpan().SequenceEqual(other.AsSpan())) return false;
        }
        return true;
    }

    public static int Hash<T>(ImmutableArray<T> a)
    {
        if (a.IsDefaultOrEmpty) return 0;
        var hash = new HashCode();
        foreach (var item in a) hash.Add(item);
        return hash.ToHashCode();
    }

    public static int Hash<TKey, TValue>(ImmutableSortedDictionary<TKey, TValue>? a) where TKey : notnull
    {
        if (a is null || a.Count == 0) return 0;
        var hash = new HashCode();
        foreach (var (key, value) in a)
        {
            hash.Add(key);
            if (value is ImmutableArray<byte> bytes) hash.Add(bytes.Length);
            else hash.Add(value);
        }
        return hash.ToHashCode();
    }
}

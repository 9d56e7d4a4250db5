using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>
/// Istio's "oldest wins" order (configCompareByCreationTime): creationTimestamp, then name, then
/// namespace. Resources without a timestamp (read from files) are as old as their position in the
/// input: earlier is older.
/// </summary>
internal static class Age
{
    /// <summary>The oldest of <paramref name="candidates"/> (given in input order), or null when empty.</summary>
    public static T? Oldest<T>(IReadOnlyList<T> candidates) where T : Resource
    {
        T? best = null;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (best is null || IsOlder(candidates[i], best)) best = candidates[i];
        }
        return best;
    }

    /// <summary>True when <paramref name="a"/> (later in the input) is strictly older than <paramref name="b"/>.</summary>
    public static bool IsOlder(Resource a, Resource b)
    {
        var ta = a.Metadata.CreationTimestamp;
        var tb = b.Metadata.CreationTimestamp;
        if (ta is null || tb is null) return false; // input order decides: the earlier one stays
        if (ta.Value != tb.Value) return ta.Value < tb.Value;
        var byName = string.CompareOrdinal(a.Metadata.Name, b.Metadata.Name);
        if (byName != 0) return byName < 0;
        return string.CompareOrdinal(a.Metadata.Namespace, b.Metadata.Namespace) < 0;
    }

    /// <summary>Sorts oldest first, stable for equal ages.</summary>
    public static List<T> OldestFirst<T>(IEnumerable<T> items) where T : Resource
    {
        var list = new List<T>(items);
        // Insertion sort keeps input order where IsOlder says neither is older.
        for (var i = 1; i < list.Count; i++)
        {
            var item = list[i];
            var j = i - 1;
            while (j >= 0 && IsOlder(item, list[j])) { list[j + 1] = list[j]; j--; }
            list[j + 1] = item;
        }
        return list;
    }
}

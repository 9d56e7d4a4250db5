using System.Collections.Immutable;

namespace Meshwork.ControlPlane.Push.Deltas;

/// <summary>
/// What changed in a keyed part list (inbound ports, outbound services) between a base, known by each item's key and
/// content hash, and a target: the one comparison behind a delta from a snapshot the control plane sent
/// (<see cref="SnapshotDiff"/>) and from the part hashes a reconnecting proxy says it holds (<see cref="HeldDiff"/>).
/// </summary>
internal static class KeyedChanges
{
    /// <summary>Items of <paramref name="target"/> that are new or whose hash differs from the same key's in <paramref name="before"/>,
    /// and the keys of <paramref name="before"/> the target no longer has, in the base's order so that equal diffs are equal values.</summary>
    public static (ImmutableArray<T> Updated, ImmutableArray<TKey> Removed) Between<T, TKey>(
        IReadOnlyList<(TKey Key, byte[] Hash)> before, ImmutableArray<T> target, IReadOnlyList<byte[]> targetHashes, Func<T, TKey> key) where TKey : notnull
    {
        target = target.IsDefault ? [] : target;
        var left = new Dictionary<TKey, byte[]>(before.Count);
        for (var i = 0; i < before.Count; i++) left[before[i].Key] = before[i].Hash;
        var updated = ImmutableArray.CreateBuilder<T>();
        for (var i = 0; i < target.Length; i++)
        {
            if (left.Remove(key(target[i]), out var old) && old.AsSpan().SequenceEqual(targetHashes[i])) continue;
            updated.Add(target[i]);
        }
        // Every item changed (a proxy's one inbound port when a policy flips): the target list itself, whose encoding is made already.
        var changed = updated.Count == target.Length ? target : updated.ToImmutable();
        var removed = ImmutableArray.CreateBuilder<TKey>(left.Count);
        for (var i = 0; i < before.Count; i++)
        {
            if (left.ContainsKey(before[i].Key)) removed.Add(before[i].Key);
        }
        return (changed, removed.DrainToImmutable());
    }
}

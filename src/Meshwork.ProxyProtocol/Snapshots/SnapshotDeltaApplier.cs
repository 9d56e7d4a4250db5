using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// Rebuilds a snapshot from the one a proxy runs and a delta. Strict: a delta for another base
/// version, a removal of a key the base lacks or a key listed twice is refused, and the proxy asks
/// for a full snapshot, so that a missed or reordered delta never leaves it drifting.
/// </summary>
public static class SnapshotDeltaApplier
{
    /// <summary>The snapshot <paramref name="delta"/> produces from <paramref name="current"/>, or null with the reason it does not apply.</summary>
    public static ProxySnapshot? Apply(ProxySnapshot? current, SnapshotDelta delta, out string? error)
    {
        ArgumentNullException.ThrowIfNull(delta);
        if (current is null)
        {
            error = $"delta {delta.BaseVersion} -> {delta.Version} arrived before any full snapshot";
            return null;
        }
        if (current.Version != delta.BaseVersion)
        {
            error = $"delta is for version {delta.BaseVersion}, this proxy runs {current.Version}";
            return null;
        }
        var inbound = Merge(current.Inbound, delta.Inbound, delta.InboundRemoved, SnapshotParts.InboundKey, SnapshotParts.CompareInbound, out error);
        if (error is not null) return null;
        var outbound = Merge(current.Outbound, delta.Outbound, delta.OutboundRemoved, SnapshotParts.OutboundKey, SnapshotParts.CompareOutbound, out error);
        if (error is not null) return null;
        outbound = EndpointPatchApplier.Apply(outbound, delta.OutboundEndpoints, out error);
        if (error is not null) return null;
        return current with
        {
            Version = delta.Version,
            Node = delta.Node ?? current.Node,
            Inbound = inbound,
            Outbound = outbound,
            TrustBundle = delta.TrustBundle ?? current.TrustBundle,
            TrustDomains = delta.TrustDomains ?? current.TrustDomains,
            Gateways = delta.Gateways ?? current.Gateways,
            HttpRoutes = delta.HttpRoutes ?? current.HttpRoutes,
            InboundPassthrough = delta.InboundPassthrough is { } passthrough
                ? (passthrough.IsDefaultOrEmpty ? null : passthrough[0])
                : current.InboundPassthrough,
            Scope = delta.Scope is { } scope ? (scope.IsDefaultOrEmpty ? null : scope[0]) : current.Scope,
        };
    }

    /// <summary>
    /// The base list without the removed and replaced keys, the updated items merged in at their place
    /// in the canonical order. One pass over the base with lookups in the delta's (small) key sets:
    /// the base's entries are neither re-indexed nor re-sorted, so a change of one entry among
    /// thousands costs a copy of the list, not a dictionary and a sort of it. The result must come
    /// out strictly in canonical order (the server only sends deltas between snapshots that are);
    /// anything else is refused and the proxy asks for a full snapshot.
    /// </summary>
    private static ImmutableArray<T> Merge<T, TKey>(ImmutableArray<T> current, ImmutableArray<T> updated, ImmutableArray<TKey> removed,
        Func<T, TKey> key, Comparison<T> order, out string? error) where TKey : notnull
    {
        error = null;
        updated = updated.IsDefault ? [] : updated;
        removed = removed.IsDefault ? [] : removed;
        if (updated.IsEmpty && removed.IsEmpty) return current;
        current = current.IsDefault ? [] : current;
        var gone = new HashSet<TKey>(removed.Length);
        foreach (var k in removed)
        {
            if (!gone.Add(k))
            {
                error = $"delta removes {typeof(T).Name} '{k}' twice";
                return default;
            }
        }
        var replaced = new HashSet<TKey>(updated.Length);
        foreach (var item in updated)
        {
            if (!replaced.Add(key(item)))
            {
                error = $"delta lists {typeof(T).Name} '{key(item)}' twice";
                return default;
            }
        }
        var merged = ImmutableArray.CreateBuilder<T>(current.Length + updated.Length);
        var next = 0;
        foreach (var item in current)
        {
            var k = key(item);
            if (gone.Remove(k) || replaced.Contains(k)) continue;
            while (next < updated.Length && order(updated[next], item) < 0)
            {
                if (!Append(merged, updated[next++], order, out error)) return default;
            }
            if (!Append(merged, item, order, out error)) return default;
        }
        while (next < updated.Length)
        {
            if (!Append(merged, updated[next++], order, out error)) return default;
        }
        if (gone.Count > 0)
        {
            error = $"delta removes {typeof(T).Name} '{removed.First(gone.Contains)}', which this proxy does not have";
            return default;
        }
        return merged.Count == merged.Capacity ? merged.MoveToImmutable() : merged.ToImmutable();
    }

    /// <summary>Appends <paramref name="item"/> when it sorts strictly after the last one; otherwise says the lists were not in canonical order.</summary>
    private static bool Append<T>(ImmutableArray<T>.Builder merged, T item, Comparison<T> order, out string? error)
    {
        if (merged.Count > 0 && order(merged[^1], item) >= 0)
        {
            error = $"delta and base do not merge into one {typeof(T).Name} list in canonical order";
            return false;
        }
        merged.Add(item);
        error = null;
        return true;
    }
}

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

    private static ImmutableArray<T> Merge<T, TKey>(ImmutableArray<T> current, ImmutableArray<T> updated, ImmutableArray<TKey> removed,
        Func<T, TKey> key, Comparison<T> order, out string? error) where TKey : notnull
    {
        error = null;
        if (updated.IsDefaultOrEmpty && removed.IsDefaultOrEmpty) return current;
        var byKey = new Dictionary<TKey, T>(current.Length);
        foreach (var item in current) byKey[key(item)] = item;
        foreach (var gone in removed.IsDefault ? [] : removed)
        {
            if (!byKey.Remove(gone))
            {
                error = $"delta removes {typeof(T).Name} '{gone}', which this proxy does not have";
                return default;
            }
        }
        var seen = new HashSet<TKey>();
        foreach (var item in updated.IsDefault ? [] : updated)
        {
            if (!seen.Add(key(item)))
            {
                error = $"delta lists {typeof(T).Name} '{key(item)}' twice";
                return default;
            }
            byKey[key(item)] = item;
        }
        var merged = byKey.Values.ToArray();
        Array.Sort(merged, order);
        return [.. merged];
    }
}

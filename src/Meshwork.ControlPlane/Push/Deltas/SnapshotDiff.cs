using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Meshwork.Generation.Hashing;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Push.Deltas;

/// <summary>A delta ready to write: the value, and its outbound parts already serialized (shared by the proxies that share both lists).</summary>
public sealed record DiffResult(SnapshotDelta Delta, byte[] OutboundJson, byte[] OutboundEndpointsJson);

/// <summary>
/// What changed between the snapshot a proxy runs and the one it should run, part by part, compared
/// by the parts' content hashes (<see cref="EncodedList"/>). The outbound diff, the large one, is
/// computed once per pair of lists: every proxy of a namespace moves between the same two.
/// </summary>
public static class SnapshotDiff
{
    private static readonly ConditionalWeakTable<OutboundService[], OutboundDiffs> OutboundCache = [];
    private static readonly ConditionalWeakTable<OutboundService[], StrongBox<bool>> OutboundOrdered = [];

    /// <summary>The delta from <paramref name="current"/> to <paramref name="target"/>; null when only a full snapshot can express it.</summary>
    public static DiffResult? Between(ProxySnapshot current, ProxySnapshot target)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(target);
        if (!SnapshotParts.InCanonicalOrder(target.Inbound) || !Ordered(target.Outbound)
            || !SnapshotParts.InCanonicalOrder(current.Inbound) || !Ordered(current.Outbound))
        {
            return null;
        }
        var json = ProtocolJson.Default;
        var inbound = Keyed(current.Inbound, target.Inbound, json.InboundPort, SnapshotParts.InboundKey);
        var outbound = Outbound(current.Outbound, target.Outbound);
        var delta = new SnapshotDelta
        {
            BaseVersion = current.Version,
            Version = target.Version,
            Node = current.Node == target.Node ? null : target.Node,
            Inbound = inbound.Updated,
            InboundRemoved = inbound.Removed,
            Outbound = outbound.Updated,
            OutboundRemoved = outbound.Removed,
            OutboundEndpoints = outbound.Patches,
            TrustBundle = Whole(current.TrustBundle, target.TrustBundle, json.String),
            TrustDomains = Whole(current.TrustDomains, target.TrustDomains, json.String),
            Gateways = Whole(current.Gateways, target.Gateways, json.GatewayListener),
            HttpRoutes = Whole(current.HttpRoutes, target.HttpRoutes, json.VirtualHostRoutes),
            // Compared by the hashes the versions were made of (the same outcome as comparing one-item lists).
            InboundPassthrough = SameHash(ItemHashes.Passthrough(current.InboundPassthrough), ItemHashes.Passthrough(target.InboundPassthrough)) ? null : AsList(target.InboundPassthrough),
            Scope = SameHash(ItemHashes.Scope(current.Scope), ItemHashes.Scope(target.Scope)) ? null : AsList(target.Scope),
        };
        return new DiffResult(delta, outbound.UpdatedJson, outbound.PatchesJson);
    }

    /// <summary>The order check of a shared outbound list, made once per array rather than once per proxy (10,000 services × every proxy otherwise).</summary>
    private static bool Ordered(ImmutableArray<OutboundService> outbound)
        => OutboundOrdered.GetOrAdd(ImmutableCollectionsMarshal.AsArray(outbound.IsDefault ? [] : outbound)!,
            static a => new StrongBox<bool>(SnapshotParts.InCanonicalOrder(ImmutableCollectionsMarshal.AsImmutableArray(a)))).Value;

    private static ImmutableArray<T> AsList<T>(T? part) where T : class => part is null ? [] : [part];

    /// <summary>Null when the part is unchanged: the very same array (a part shared by every proxy of a mesh state), or equal hashes.</summary>
    private static ImmutableArray<T>? Whole<T>(ImmutableArray<T> current, ImmutableArray<T> target, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        => current == target || SameHash(EncodedList.Of(current, info).Hash, EncodedList.Of(target, info).Hash) ? null : target;

    private static bool SameHash(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    private static OutboundDiff Outbound(ImmutableArray<OutboundService> current, ImmutableArray<OutboundService> target)
    {
        var targetArray = ImmutableCollectionsMarshal.AsArray(target.IsDefault ? [] : target)!;
        var baseArray = ImmutableCollectionsMarshal.AsArray(current.IsDefault ? [] : current)!;
        var diffs = OutboundCache.GetValue(targetArray, _ => new OutboundDiffs());
        // Every proxy of a namespace asks for the same pair: found without building the closure below.
        if (diffs.TryGet(baseArray, out var known)) return known;
        return diffs.GetOrAdd(baseArray, () =>
        {
            var keyed = Keyed(current, target, ProtocolJson.Default.OutboundService, SnapshotParts.OutboundKey);
            var (whole, patches) = SplitEndpointOnly(current, keyed.Updated);
            return new OutboundDiff(whole, keyed.Removed, patches,
                EncodedList.Of(whole, ProtocolJson.Default.OutboundService).Json, EncodedList.Of(patches, ProtocolJson.Default.EndpointPatch).Json);
        });
    }

    /// <summary>Of the services that changed, those the proxy has and whose endpoints alone changed go as endpoint patches; the rest whole.</summary>
    private static (ImmutableArray<OutboundService> Whole, ImmutableArray<EndpointPatch> Patches) SplitEndpointOnly(
        ImmutableArray<OutboundService> current, ImmutableArray<OutboundService> updated)
    {
        if (updated.IsEmpty) return (updated, []);
        var before = new Dictionary<string, OutboundService>(current.Length, StringComparer.Ordinal);
        foreach (var service in current) before[SnapshotParts.OutboundKey(service)] = service;
        var whole = ImmutableArray.CreateBuilder<OutboundService>();
        var patches = ImmutableArray.CreateBuilder<EndpointPatch>();
        foreach (var service in updated)
        {
            if (before.TryGetValue(SnapshotParts.OutboundKey(service), out var was) && EndpointDiff.Between(was, service) is { } edits) patches.AddRange(edits);
            else whole.Add(service);
        }
        return (whole.ToImmutable(), patches.ToImmutable());
    }

    /// <summary>Items of <paramref name="target"/> that are new or differ from the same key in <paramref name="current"/>, and the keys that went away.</summary>
    private static (ImmutableArray<T> Updated, ImmutableArray<TKey> Removed) Keyed<T, TKey>(
        ImmutableArray<T> current, ImmutableArray<T> target, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, Func<T, TKey> key) where TKey : notnull
    {
        current = current.IsDefault ? [] : current;
        target = target.IsDefault ? [] : target;
        var currentHashes = EncodedList.Of(current, info).ItemHashes;
        var before = new (TKey, byte[])[current.Length];
        for (var i = 0; i < current.Length; i++) before[i] = (key(current[i]), currentHashes[i]);
        return KeyedChanges.Between(before, target, EncodedList.Of(target, info).ItemHashes, key);
    }

    private sealed record OutboundDiff(ImmutableArray<OutboundService> Updated, ImmutableArray<string> Removed, ImmutableArray<EndpointPatch> Patches,
        byte[] UpdatedJson, byte[] PatchesJson);

    /// <summary>The diffs into one target list, by base list. Few bases per target: the proxies of a namespace are usually on one.</summary>
    private sealed class OutboundDiffs
    {
        private readonly ConditionalWeakTable<OutboundService[], Lazy<OutboundDiff>> _byBase = [];

        public bool TryGet(OutboundService[] baseArray, out OutboundDiff diff)
        {
            diff = null!;
            if (!_byBase.TryGetValue(baseArray, out var lazy) || !lazy.IsValueCreated) return false;
            diff = lazy.Value;
            return true;
        }

        public OutboundDiff GetOrAdd(OutboundService[] baseArray, Func<OutboundDiff> compute)
            => _byBase.GetValue(baseArray, _ => new Lazy<OutboundDiff>(compute)).Value;
    }
}

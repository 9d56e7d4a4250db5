using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Generation.Hashing;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Push.Deltas;

/// <summary>
/// The delta from what a reconnecting proxy says it holds (<see cref="HeldSnapshot"/>: part hashes, not the parts)
/// to the snapshot it should run, for a control plane that never sent it its snapshot. Fails closed: an unknown
/// scheme, a malformed hash, a key listed twice, or part hashes that do not reproduce the version the proxy says
/// it runs give null, and the proxy is sent the snapshot whole. Keyed parts that differ go whole (there are no
/// old endpoints here to patch); the others go whole when their hash differs, as <see cref="SnapshotDiff"/> sends them.
/// </summary>
public static class HeldDiff
{
    /// <summary>The delta from <paramref name="held"/> (running <paramref name="baseVersion"/>) to <paramref name="target"/>; null when only a full snapshot is safe.</summary>
    public static DiffResult? Between(string? baseVersion, HeldSnapshot? held, ProxySnapshot target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (baseVersion is null || held is null || held.Scheme != SnapshotPartHashes.Scheme) return null;
        if (!TryDecode(held, out var parts) || Reproduced(parts) != baseVersion) return null;
        if (!SnapshotParts.InCanonicalOrder(target.Inbound) || !SnapshotParts.InCanonicalOrder(target.Outbound)) return null;

        var json = ProtocolJson.Default;
        var (inbound, inboundRemoved) = KeyedChanges.Between(parts.Inbound, target.Inbound, EncodedList.Of(target.Inbound, json.InboundPort).ItemHashes,
            p => p.Port.ToString(CultureInfo.InvariantCulture));
        var (outbound, outboundRemoved) = KeyedChanges.Between(parts.Outbound, target.Outbound, EncodedList.Of(target.Outbound, json.OutboundService).ItemHashes,
            SnapshotParts.OutboundKey);
        var delta = new SnapshotDelta
        {
            BaseVersion = baseVersion,
            Version = target.Version,
            Node = Same(parts.Node, SnapshotPartHashes.Item(target.Node, json.ProxyNode)) ? null : target.Node,
            Inbound = inbound,
            InboundRemoved = [.. inboundRemoved.Select(k => int.Parse(k, NumberStyles.None, CultureInfo.InvariantCulture))],
            Outbound = outbound,
            OutboundRemoved = outboundRemoved,
            TrustBundle = Whole(parts.TrustBundle, target.TrustBundle, json.String),
            TrustDomains = Whole(parts.TrustDomains, target.TrustDomains, json.String),
            Gateways = Whole(parts.Gateways, target.Gateways, json.GatewayListener),
            HttpRoutes = Whole(parts.HttpRoutes, target.HttpRoutes, json.VirtualHostRoutes),
            InboundPassthrough = Same(parts.InboundPassthrough, SnapshotPartHashes.Passthrough(target.InboundPassthrough))
                ? null : target.InboundPassthrough is { } passthrough ? [passthrough] : [],
            Scope = Same(parts.Scope, target.Scope is { } s ? SnapshotPartHashes.Item(s, json.OutboundScope) : null)
                ? null : target.Scope is { } scope ? [scope] : [],
        };
        return new DiffResult(delta, EncodedList.Of(outbound, json.OutboundService).Json, "[]"u8.ToArray());
    }

    /// <summary>The held parts with their hashes decoded.</summary>
    private sealed record Parts(byte[] Node, ImmutableArray<(string Key, byte[] Hash)> Inbound, ImmutableArray<(string Key, byte[] Hash)> Outbound,
        byte[] TrustBundle, byte[] TrustDomains, byte[] Gateways, byte[] HttpRoutes, byte[] InboundPassthrough, byte[]? Scope);

    private static bool TryDecode(HeldSnapshot held, out Parts parts)
    {
        parts = null!;
        if (!SnapshotPartHashes.TryDecode(held.Node, out var node)
            || !TryDecode(held.Inbound, IsPort, out var inbound) || !TryDecode(held.Outbound, static k => k.Length > 0, out var outbound)
            || !SnapshotPartHashes.TryDecode(held.TrustBundle, out var bundle) || !SnapshotPartHashes.TryDecode(held.TrustDomains, out var domains)
            || !SnapshotPartHashes.TryDecode(held.Gateways, out var gateways) || !SnapshotPartHashes.TryDecode(held.HttpRoutes, out var routes)
            || !SnapshotPartHashes.TryDecode(held.InboundPassthrough, out var passthrough))
        {
            return false;
        }
        byte[]? scope = null;
        if (held.Scope is not null && !SnapshotPartHashes.TryDecode(held.Scope, out scope)) return false;
        parts = new Parts(node, inbound, outbound, bundle, domains, gateways, routes, passthrough, scope);
        return true;
    }

    /// <summary>Decodes a keyed list; false for a bad key or hash, or a key listed twice (the proxy's merge would be ambiguous).</summary>
    private static bool TryDecode(ImmutableArray<HeldPart> held, Func<string, bool> validKey, out ImmutableArray<(string Key, byte[] Hash)> parts)
    {
        parts = default;
        held = held.IsDefault ? [] : held;
        var keys = new HashSet<string>(held.Length, StringComparer.Ordinal);
        var decoded = ImmutableArray.CreateBuilder<(string, byte[])>(held.Length);
        foreach (var part in held)
        {
            if (part is null || part.Key is null || !validKey(part.Key) || !keys.Add(part.Key) || !SnapshotPartHashes.TryDecode(part.Hash, out var hash)) return false;
            decoded.Add((part.Key, hash));
        }
        parts = decoded.MoveToImmutable();
        return true;
    }

    /// <summary>A port number written as the proxy's snapshot has it: digits only, in range.</summary>
    private static bool IsPort(string key)
        => key.Length is > 0 and <= 5 && key.All(char.IsAsciiDigit) && int.Parse(key, CultureInfo.InvariantCulture) is > 0 and <= 65535
            && int.Parse(key, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture) == key;

    /// <summary>The version the held parts make: it must be the one the proxy says it runs.</summary>
    private static string Reproduced(Parts parts) => SnapshotPartHashes.Version(parts.Node,
        SnapshotPartHashes.List(parts.Inbound.Select(p => p.Hash)), SnapshotPartHashes.List(parts.Outbound.Select(p => p.Hash)),
        parts.TrustBundle, parts.TrustDomains, parts.Gateways, parts.HttpRoutes, parts.InboundPassthrough, parts.Scope);

    private static ImmutableArray<T>? Whole<T>(byte[] held, ImmutableArray<T> target, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        => Same(held, EncodedList.Of(target, info).Hash) ? null : target;

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
}

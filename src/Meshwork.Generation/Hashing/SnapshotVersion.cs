using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Hashing;

/// <summary>
/// A snapshot's version is a hash of its content, so that equal content has an equal version on
/// every control-plane replica and after every restart, and a proxy that reconnects with the
/// version it runs is not sent the same snapshot again. It is a hash of the parts' hashes, each
/// part list hashed once per array (<see cref="EncodedList"/>): the parts many proxies share cost
/// one hash per change, not one per proxy.
/// </summary>
public static class SnapshotVersion
{
    /// <summary>Hex characters kept: 64 bits is plenty to tell one proxy's snapshots apart.</summary>
    public const int Length = SnapshotPartHashes.VersionLength;

    public static string Compute(ProxySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var json = ProtocolJson.Default;
        // The parts' hashes combined as SnapshotPartHashes defines it (a reconnecting proxy's held parts are checked against it).
        return SnapshotPartHashes.Version(
            SnapshotPartHashes.Item(snapshot.Node, json.ProxyNode),
            EncodedList.Of(snapshot.Inbound, json.InboundPort).Hash,
            EncodedList.Of(snapshot.Outbound, json.OutboundService).Hash,
            EncodedList.Of(snapshot.TrustBundle, json.String).Hash,
            EncodedList.Of(snapshot.TrustDomains, json.String).Hash,
            EncodedList.Of(snapshot.Gateways, json.GatewayListener).Hash,
            EncodedList.Of(snapshot.HttpRoutes, json.VirtualHostRoutes).Hash,
            ItemHashes.Passthrough(snapshot.InboundPassthrough),
            ItemHashes.Scope(snapshot.Scope));
    }

    internal static string Hex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash[..(Length / 2)]);
}

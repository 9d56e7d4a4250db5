using System.Security.Cryptography;
using System.Text.Json;
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
    public const int Length = 16;

    public static string Compute(ProxySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var json = ProtocolJson.Default;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // Every part in SnapshotParts.Properties except the version itself, in that order.
        hash.AppendData(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(snapshot.Node, json.ProxyNode)));
        hash.AppendData(EncodedList.Of(snapshot.Inbound, json.InboundPort).Hash);
        hash.AppendData(EncodedList.Of(snapshot.Outbound, json.OutboundService).Hash);
        hash.AppendData(EncodedList.Of(snapshot.TrustBundle, json.String).Hash);
        hash.AppendData(EncodedList.Of(snapshot.TrustDomains, json.String).Hash);
        hash.AppendData(EncodedList.Of(snapshot.Gateways, json.GatewayListener).Hash);
        hash.AppendData(EncodedList.Of(snapshot.HttpRoutes, json.VirtualHostRoutes).Hash);
        hash.AppendData(SHA256.HashData(snapshot.InboundPassthrough is { } passthrough
            ? JsonSerializer.SerializeToUtf8Bytes(passthrough, json.InboundPort) : []));
        // Last, and only when present: snapshots without a scope keep the versions they had before scopes existed.
        if (snapshot.Scope is { } scope) hash.AppendData(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(scope, json.OutboundScope)));
        return Hex(hash.GetHashAndReset());
    }

    internal static string Hex(ReadOnlySpan<byte> hash) => Convert.ToHexStringLower(hash[..(Length / 2)]);
}

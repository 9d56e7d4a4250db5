using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// How a snapshot's content is hashed, part by part, and how the part hashes make its version: the one
/// definition the control plane (versions, diffs) and the proxy (what it holds when it reconnects) share.
/// A part's hash is the SHA-256 of its protocol JSON; a list's is the SHA-256 of its items' hashes in order;
/// the version is the SHA-256 of the parts' hashes in <see cref="SnapshotParts.Properties"/> order, cut to
/// <see cref="VersionLength"/> hex characters.
/// </summary>
public static class SnapshotPartHashes
{
    /// <summary>The scheme a <see cref="HeldSnapshot"/> names: SHA-256, items and lists as above, base64 hashes.</summary>
    public const string Scheme = "sha256-parts-v1";

    /// <summary>Hex characters of a version: 64 bits is plenty to tell one proxy's snapshots apart.</summary>
    public const int VersionLength = 16;

    /// <summary>Bytes of one hash.</summary>
    public const int HashLength = 32;

    public static byte[] Item(ReadOnlySpan<byte> json) => SHA256.HashData(json);

    public static byte[] Item<T>(T value, JsonTypeInfo<T> info) => SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, info));

    /// <summary>The hash of a list from its items' hashes, in list order.</summary>
    public static byte[] List(IEnumerable<byte[]> itemHashes)
    {
        ArgumentNullException.ThrowIfNull(itemHashes);
        using var all = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var hash in itemHashes) all.AppendData(hash);
        return all.GetHashAndReset();
    }

    /// <summary>The version of a snapshot whose parts hash to these (<paramref name="scope"/> null when it has none).</summary>
    public static string Version(byte[] node, byte[] inbound, byte[] outbound, byte[] trustBundle, byte[] trustDomains,
        byte[] gateways, byte[] httpRoutes, byte[] inboundPassthrough, byte[]? scope)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(node);
        hash.AppendData(inbound);
        hash.AppendData(outbound);
        hash.AppendData(trustBundle);
        hash.AppendData(trustDomains);
        hash.AppendData(gateways);
        hash.AppendData(httpRoutes);
        hash.AppendData(inboundPassthrough);
        // Last, and only when present: snapshots without a scope keep the versions they had before scopes existed.
        if (scope is not null) hash.AppendData(scope);
        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, VersionLength / 2));
    }

    /// <summary>The hash of <see cref="ProxySnapshot.InboundPassthrough"/>: of its JSON, or of nothing when there is none.</summary>
    public static byte[] Passthrough(InboundPort? passthrough)
        => passthrough is null ? SHA256.HashData([]) : Item(passthrough, ProtocolJson.Default.InboundPort);

    /// <summary>What a proxy running <paramref name="snapshot"/> tells a control plane when it reconnects.</summary>
    public static HeldSnapshot Held(ProxySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var json = ProtocolJson.Default;
        return new HeldSnapshot
        {
            Scheme = Scheme,
            Node = Encode(Item(snapshot.Node, json.ProxyNode)),
            Inbound = Keyed(snapshot.Inbound, json.InboundPort, p => p.Port.ToString(CultureInfo.InvariantCulture)),
            Outbound = Keyed(snapshot.Outbound, json.OutboundService, SnapshotParts.OutboundKey),
            TrustBundle = Encode(List(snapshot.TrustBundle, json.String)),
            TrustDomains = Encode(List(snapshot.TrustDomains, json.String)),
            Gateways = Encode(List(snapshot.Gateways, json.GatewayListener)),
            HttpRoutes = Encode(List(snapshot.HttpRoutes, json.VirtualHostRoutes)),
            InboundPassthrough = Encode(Passthrough(snapshot.InboundPassthrough)),
            Scope = snapshot.Scope is { } scope ? Encode(Item(scope, json.OutboundScope)) : null,
        };
    }

    /// <summary>A rough upper bound of the JSON bytes of <see cref="Held"/>'s answer, without computing it.</summary>
    public static long EstimatedHeldBytes(ProxySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        const int PerPart = 32 + 48; // {"key":"","hash":""}, and a base64 hash
        long bytes = 1024;
        foreach (var port in snapshot.Inbound) bytes += PerPart + 8;
        foreach (var service in snapshot.Outbound) bytes += PerPart + JsonLength(service.Hostname);
        return bytes;
    }

    /// <summary>At most the JSON length of a string: a DNS name is written as is, anything else may be escaped (\uXXXX).</summary>
    private static int JsonLength(string text)
    {
        var length = 0;
        foreach (var c in text) length += char.IsAsciiLetterOrDigit(c) || c is '.' or '-' ? 1 : 6;
        return length;
    }

    public static string Encode(byte[] hash) => Convert.ToBase64String(hash);

    /// <summary>A hash as <see cref="Encode"/> writes it; false for anything else (wrong length, not base64).</summary>
    public static bool TryDecode(string? text, out byte[] hash)
    {
        hash = new byte[HashLength];
        return text is { Length: 44 } && Convert.TryFromBase64String(text, hash, out var written) && written == HashLength;
    }

    private static byte[] List<T>(ImmutableArray<T> items, JsonTypeInfo<T> info)
        => List((items.IsDefault ? [] : items).Select(i => Item(i, info)));

    private static ImmutableArray<HeldPart> Keyed<T>(ImmutableArray<T> items, JsonTypeInfo<T> info, Func<T, string> key)
        => [.. (items.IsDefault ? [] : items).Select(i => new HeldPart { Key = key(i), Hash = Encode(Item(i, info)) })];
}

using System.Runtime.CompilerServices;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Hashing;

/// <summary>
/// The hashes of a snapshot's single parts that each proxy has its own of (the inbound passthrough, the outbound scope),
/// as <see cref="SnapshotPartHashes"/> defines them, computed once per object: the version needs them when the snapshot
/// is made, and the next diff compares them again for the snapshot before and the one after.
/// </summary>
public static class ItemHashes
{
    private static readonly byte[] NoPassthrough = SnapshotPartHashes.Passthrough(null);
    private static readonly ConditionalWeakTable<InboundPort, byte[]> Passthroughs = [];
    private static readonly ConditionalWeakTable<OutboundScope, byte[]> Scopes = [];

    /// <inheritdoc cref="SnapshotPartHashes.Passthrough"/>
    public static byte[] Passthrough(InboundPort? passthrough)
        => passthrough is null ? NoPassthrough : Passthroughs.GetOrAdd(passthrough, static p => SnapshotPartHashes.Passthrough(p));

    /// <summary>The hash of a snapshot's <see cref="ProxySnapshot.Scope"/>; null when it has none (the version then leaves it out).</summary>
    public static byte[]? Scope(OutboundScope? scope)
        => scope is null ? null : Scopes.GetOrAdd(scope, static s => SnapshotPartHashes.Item(s, Meshwork.ProxyProtocol.ProtocolJson.Default.OutboundScope));
}

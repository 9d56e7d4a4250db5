using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// What a reconnecting proxy runs, part by part, as content hashes (<see cref="SnapshotPartHashes"/>): enough
/// for a control plane that never sent it that snapshot (a restarted one, another replica) to send a
/// <see cref="SnapshotDelta"/> against it instead of the whole snapshot. The control plane trusts it only when
/// the hashes reproduce the version the proxy says it runs; otherwise it sends the snapshot whole.
/// </summary>
public sealed record HeldSnapshot
{
    /// <summary>How the hashes were computed; a control plane that does not know the scheme sends a full snapshot.</summary>
    public required string Scheme { get; init; }
    /// <summary>Hash of <see cref="ProxySnapshot.Node"/>.</summary>
    public required string Node { get; init; }
    /// <summary>Inbound ports by port number, in the snapshot's order.</summary>
    public ImmutableArray<HeldPart> Inbound { get; init; } = [];
    /// <summary>Outbound services by hostname, in the snapshot's order.</summary>
    public ImmutableArray<HeldPart> Outbound { get; init; } = [];
    /// <summary>List hashes of the parts a delta resends whole when they change.</summary>
    public required string TrustBundle { get; init; }
    public required string TrustDomains { get; init; }
    public required string Gateways { get; init; }
    public required string HttpRoutes { get; init; }
    public required string InboundPassthrough { get; init; }
    /// <summary>Null when the snapshot has no scope.</summary>
    public string? Scope { get; init; }
}

/// <summary>One keyed part a proxy holds: its key (a port number, a hostname) and the hash of its content.</summary>
public sealed record HeldPart
{
    public required string Key { get; init; }
    public required string Hash { get; init; }
}

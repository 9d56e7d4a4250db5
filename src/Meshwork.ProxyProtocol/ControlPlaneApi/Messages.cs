using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ProxyProtocol.ControlPlaneApi;

/// <summary>
/// The control plane's proxy-facing endpoints, all on its HTTPS port (HTTP/2; HTTP/1.1 allowed).
/// The proxy trusts only the root in its MESHWORK_CA_ROOT file for this connection.
/// </summary>
public static class ControlPlanePaths
{
    /// <summary>POST <see cref="CertificateRequest"/> → <see cref="CertificateResponse"/>. Authenticated by
    /// "Authorization: Bearer &lt;bootstrap token&gt;" or by a valid mesh client certificate (renewal).</summary>
    public const string Certificates = "/meshwork/v1/certificates";

    /// <summary>POST <see cref="ProxyRegistration"/> (mesh client certificate required) → a response body that
    /// stays open: newline-delimited JSON <see cref="SnapshotEnvelope"/>s, one line each, newest config first.</summary>
    public const string Stream = "/meshwork/v1/proxies/stream";

    /// <summary>POST <see cref="SnapshotAck"/> (mesh client certificate required) → 204.</summary>
    public const string Acks = "/meshwork/v1/proxies/acks";

    /// <summary>POST <see cref="BootstrapTokenRequest"/> (admin credential) → <see cref="BootstrapTokenResponse"/>.</summary>
    public const string BootstrapTokens = "/meshwork/v1/bootstrap-tokens";
}

public sealed record CertificateRequest
{
    /// <summary>PKCS#10 CSR, PEM.</summary>
    public required string Csr { get; init; }
    /// <summary>Requested lifetime; 0 or absent means the CA default (24 h).</summary>
    public long ValiditySeconds { get; init; }
}

public sealed record CertificateResponse
{
    /// <summary>PEM certificates, leaf first, root last.</summary>
    public required ImmutableArray<string> CertChain { get; init; }
    /// <summary>PEM roots of the trust bundle.</summary>
    public required ImmutableArray<string> TrustBundle { get; init; }
}

/// <summary>What a proxy says about itself when it opens its stream.</summary>
public sealed record ProxyRegistration
{
    public required ProxyRole Role { get; init; }
    public required string Namespace { get; init; }
    public required string Pod { get; init; }
    public string? Workload { get; init; }
    public string? ServiceAccount { get; init; }
    public string? PodIp { get; init; }
    /// <summary>"address:port" of the listener that serves /stats/prometheus to the control plane's scrapes and its
    /// Prometheus service discovery: the metrics listener (15090 on the pod IP) when the proxy has one, else the admin one.</summary>
    public string? MetricsAddress { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>Workload ports the sidecar serves inbound.</summary>
    public ImmutableArray<int> Ports { get; init; } = [];
    /// <summary>The version the proxy already runs (after a reconnect), so an unchanged snapshot is not resent.</summary>
    public string? CurrentVersion { get; init; }
    /// <summary>
    /// With <see cref="CurrentVersion"/> and <see cref="Deltas"/>: the parts of that snapshot by content hash, so that a
    /// control plane that never sent it (restarted, another replica) sends only what differs. A proxy leaves it out when
    /// it would take the registration over <see cref="MaxBytes"/>, and then gets the snapshot whole.
    /// </summary>
    public HeldSnapshot? Held { get; init; }

    /// <summary>
    /// The largest registration body the control plane reads (a larger one is refused with 413): 2 MiB, room for
    /// the held parts of a proxy that knows 10,000 outbound services (about 100 bytes each: hostname and hash).
    /// </summary>
    public const int MaxBytes = 2 * 1024 * 1024;
    /// <summary>
    /// The proxy reads <see cref="SnapshotUpdate"/> lines: after the first full snapshot it is sent only what
    /// changed (<see cref="SnapshotDelta"/>), as incremental xDS does. Proxies that leave it false get full snapshots.
    /// </summary>
    public bool Deltas { get; init; }
}

public sealed record SnapshotEnvelope
{
    public required string Nonce { get; init; }
    public required ProxySnapshot Snapshot { get; init; }
}

/// <summary>
/// One line of the stream of a proxy that registered with <see cref="ProxyRegistration.Deltas"/>: a full
/// snapshot or a delta, never both. A full snapshot line is also a valid <see cref="SnapshotEnvelope"/>.
/// </summary>
public sealed record SnapshotUpdate
{
    public required string Nonce { get; init; }
    public ProxySnapshot? Snapshot { get; init; }
    public SnapshotDelta? Delta { get; init; }

    /// <summary>The version the proxy runs once it applied this line.</summary>
    [JsonIgnore]
    public string Version => Snapshot?.Version ?? Delta?.Version ?? "";
}

public sealed record SnapshotAck
{
    public required string ProxyId { get; init; }
    public required string Version { get; init; }
    public required string Nonce { get; init; }
    /// <summary>Null for an ACK; the reason the proxy rejected the snapshot for a NACK, at most <see cref="MaxErrorLength"/> characters.</summary>
    public string? Error { get; init; }
    /// <summary>
    /// With a NACK: the proxy could not apply a delta to what it runs (it missed one, or rejected the one
    /// before) and asks for a full snapshot.
    /// </summary>
    public bool Resync { get; init; }

    /// <summary>The largest ACK body the control plane reads (a larger one is refused with 413).</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The longest <see cref="Error"/> a proxy sends (its log keeps the whole reason): well inside <see cref="MaxBytes"/> once escaped.</summary>
    public const int MaxErrorLength = 8 * 1024;

    /// <summary><paramref name="error"/> cut to <see cref="MaxErrorLength"/> characters, saying so.</summary>
    public static string? BoundedError(string? error) =>
        error is null || error.Length <= MaxErrorLength ? error : string.Concat(error.AsSpan(0, MaxErrorLength - 16), " (reason cut)");
}

public sealed record BootstrapTokenRequest
{
    public required string Namespace { get; init; }
    public required string ServiceAccount { get; init; }
    /// <summary>0 means the default lifetime.</summary>
    public long ValiditySeconds { get; init; }
}

public sealed record BootstrapTokenResponse
{
    public required string Token { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
}

using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>How an HTTPS Gateway server terminates TLS: a server certificate only, or one that also asks the client for its own.</summary>
public enum GatewayTlsMode { Simple, Mutual }

/// <summary>
/// One HTTPS server of a Gateway port: the hosts (SNI names, "*" or "*.suffix") it presents its credential for,
/// and that credential as Istio reads it from a <c>kubernetes.io/tls</c> Secret named by <c>credentialName</c>
/// in the gateway workload's namespace. Only gateway snapshots carry these: sidecars never hold a gateway key.
/// </summary>
public sealed record GatewayTlsServer
{
    public ImmutableArray<string> Hosts { get; init; } = [];
    public required GatewayTlsMode Mode { get; init; }
    /// <summary>"namespace/name" of the Secret, for errors and config dumps.</summary>
    public required string CredentialName { get; init; }
    /// <summary>PEM certificate chain (<c>tls.crt</c>), leaf first; null when the Secret is missing or unusable (handshakes for these hosts fail).</summary>
    public string? CertificateChain { get; init; }
    /// <summary>PEM private key (<c>tls.key</c>). Never logged; the admin config dump shows it redacted.</summary>
    public string? PrivateKey { get; init; }
    /// <summary>PEM roots client certificates must chain to (<c>ca.crt</c>); MUTUAL only.</summary>
    public string? CaCertificates { get; init; }
    /// <summary>Why the credential is missing, when it is.</summary>
    public string? Problem { get; init; }

    /// <summary>The value shown in config dumps in place of a private key (Envoy's admin shows secrets the same way).</summary>
    public const string Redacted = "[redacted]";

    public GatewayTlsServer WithoutKey() => PrivateKey is null ? this : this with { PrivateKey = Redacted };
}

/// <summary>What a snapshot may show to anyone who can read a config dump: everything but private keys.</summary>
public static class SnapshotRedaction
{
    public static ProxySnapshot WithoutKeys(this ProxySnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (snapshot.Gateways.IsDefaultOrEmpty || snapshot.Gateways.All(g => g.TlsServers.IsDefaultOrEmpty)) return snapshot;
        return snapshot with
        {
            Gateways = [.. snapshot.Gateways.Select(g => g.TlsServers.IsDefaultOrEmpty ? g : g with { TlsServers = [.. g.TlsServers.Select(t => t.WithoutKey())] })],
        };
    }
}

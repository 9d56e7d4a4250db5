using System.Collections.Immutable;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;

namespace Meshwork.Policy.Why;

/// <summary>The certificate a sidecar holds and the roots it trusts, as read from the proxy.</summary>
public sealed record ProxyCertificates(X509Certificate2 Leaf, ImmutableArray<X509Certificate2> Intermediates, TrustBundle Trust);

/// <summary>Connections the server's sidecar refused from the client's address, by the proxy's reason label.</summary>
public sealed record RefusedConnections(string Reason, int Port, long Count);

/// <summary>
/// Calls a proxy counted since it started, by HTTP status (0 for a TCP connection) and Envoy response flags ("-" for
/// none, else comma-separated such as "UF,URX"), as its istio_requests_total and istio_tcp_connections_closed_total say.
/// </summary>
public sealed record ObservedCalls(int Code, string Flags, long Count)
{
    /// <summary>Answered below 500 (or a TCP connection closed) without a response flag.</summary>
    public bool Succeeded => Flags == "-" && Code < 500;
}

/// <summary>What the proxies report about one call's two ends; every part is optional (a proxy may not answer).</summary>
public sealed record LiveCallState
{
    public static LiveCallState Empty { get; } = new();

    /// <summary>The time certificate validity is judged at.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The client's pod address, as the server's sidecar sees it.</summary>
    public string? ClientAddress { get; init; }

    /// <summary>The client sidecar's certificate; null when it has none or none was read.</summary>
    public ProxyCertificates? Client { get; init; }

    /// <summary>The server sidecars' certificates, by workload reference (namespace/pod).</summary>
    public ImmutableDictionary<string, ProxyCertificates> Servers { get; init; } = ImmutableDictionary<string, ProxyCertificates>.Empty;

    /// <summary>What each server's sidecar refused from <see cref="ClientAddress"/>, by workload reference.</summary>
    public ImmutableDictionary<string, ImmutableArray<RefusedConnections>> RefusedFromClient { get; init; } =
        ImmutableDictionary<string, ImmutableArray<RefusedConnections>>.Empty;

    /// <summary>The calls the client's sidecar counted to the destination Service (reporter="source"); empty when not read.</summary>
    public ImmutableArray<ObservedCalls> ClientObserved { get; init; } = [];

    /// <summary>The calls each endpoint's sidecar counted from the client's workload (reporter="destination"), by workload reference.</summary>
    public ImmutableDictionary<string, ImmutableArray<ObservedCalls>> ServerObserved { get; init; } =
        ImmutableDictionary<string, ImmutableArray<ObservedCalls>>.Empty;
}

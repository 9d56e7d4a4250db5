using System.Collections.Immutable;

namespace Meshwork.Policy.Traffic;

/// <summary>One request to explain: who sends it, where to, and what it looks like.</summary>
public sealed record TrafficQuery
{
    /// <summary>The client workload; null for a client outside the mesh (no sidecar, no identity).</summary>
    public Workload? Client { get; init; }
    /// <summary>The client's namespace, used to resolve short host names (for an outside client: where it runs).</summary>
    public required string ClientNamespace { get; init; }
    public required string Host { get; init; }
    public required int Port { get; init; }
    public string Method { get; init; } = "GET";
    public string Path { get; init; } = "/";
    /// <summary>Request headers by lower-case name.</summary>
    public ImmutableSortedDictionary<string, string> Headers { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    /// <summary>The address the server sees the connection from (for ipBlocks and source.ip); unknown when null.</summary>
    public System.Net.IPAddress? SourceIp { get; init; }
    /// <summary>Why the client has (or lacks) a sidecar, e.g. from <see cref="Injection.Decide"/>; woven into the first reason.</summary>
    public string? ClientSidecarReason { get; init; }
}

/// <summary>What the client sees, in the words the tutorials use.</summary>
public enum TrafficOutcome
{
    /// <summary>The request reaches the application (HTTP 200 from curl's point of view).</summary>
    Ok,
    /// <summary>The connection is reset: curl prints 000 and exits with 56.</summary>
    Reset,
    /// <summary>Authorization denied an HTTP request: 403 "RBAC: access denied".</summary>
    Denied,
    /// <summary>The client's sidecar could not reach a usable endpoint: 503.</summary>
    Unavailable,
    /// <summary>A VirtualService routes the host and none of its routes matches the request: 404 from the client sidecar (flag NR).</summary>
    NoRoute,
}

public sealed record AuthorizationVerdict
{
    /// <summary>"ALLOW" or "DENY".</summary>
    public required string Decision { get; init; }
    /// <summary>False when the request never reached a sidecar that enforces authorization.</summary>
    public bool Evaluated { get; init; } = true;
    /// <summary>"ns/name" of the deciding policy, or null.</summary>
    public string? Policy { get; init; }
    public int? Rule { get; init; }
    /// <summary>The evaluator's sentence, e.g. "DENY policy foo/x matched (rule 0), so the request is denied".</summary>
    public string? Reason { get; init; }
    public ImmutableArray<DryRunVerdict> DryRun { get; init; } = [];
}

public sealed record DryRunVerdict(string Policy, string Action, bool Matched, int? Rule);

/// <summary>The explanation for one endpoint of the destination.</summary>
public sealed record EndpointExplanation
{
    public required string Workload { get; init; }
    public required int Port { get; init; }
    public required bool HasSidecar { get; init; }
    public required string ServerMode { get; init; }
    public required string ServerModeSource { get; init; }
    public required string ClientTls { get; init; }
    public required string ClientTlsSource { get; init; }
    public string? ServerIdentity { get; init; }
    public ImmutableArray<string> AcceptedIdentities { get; init; } = [];
    public required AuthorizationVerdict Authorization { get; init; }
    public required TrafficOutcome Outcome { get; init; }
    public required int HttpCode { get; init; }
    public ImmutableArray<Reason> Reasons { get; init; } = [];
}

/// <summary>
/// The answer to "what happens when this client sends this request": the top-level fields describe the
/// first endpoint (the one a single request would most likely reach); <see cref="Endpoints"/> has all of them.
/// </summary>
public sealed record TrafficExplanation
{
    public required string From { get; init; }
    public required string To { get; init; }
    /// <summary>name.ns.svc.cluster.local when the host resolved to a Service.</summary>
    public string? Service { get; init; }
    public int? ServicePort { get; init; }
    /// <summary>http, http2, grpc, tcp, tls, https or unknown (sniffed).</summary>
    public string? Protocol { get; init; }
    public bool ClientHasSidecar { get; init; }
    public string? ClientIdentity { get; init; }
    public required string ServerMode { get; init; }
    public required string ServerModeSource { get; init; }
    public required string ClientTls { get; init; }
    public required string ClientTlsSource { get; init; }
    public required AuthorizationVerdict Authorization { get; init; }
    public required TrafficOutcome Outcome { get; init; }
    public required int HttpCode { get; init; }
    /// <summary>
    /// Where the matched VirtualService route sends the request when the client sidecar has no cluster for it (a host no
    /// Service answers, or a subset no DestinationRule defines): it answers 503 (flag NC). Null otherwise.
    /// </summary>
    public string? MissingRouteDestination { get; init; }
    public ImmutableArray<Reason> Reasons { get; init; } = [];
    public ImmutableArray<EndpointExplanation> Endpoints { get; init; } = [];
}

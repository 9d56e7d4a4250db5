using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// The HTTP routes of one VirtualService host, resolved by the control plane: the proxy only executes them.
/// Routes are tried in order and the first whose match holds wins, as in Istio.
/// </summary>
public sealed record VirtualHostRoutes
{
    /// <summary>Service FQDNs (sidecar) or host patterns ("*", "*.suffix", exact; gateway) this table serves.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];
    public ImmutableArray<HttpRouteRule> Routes { get; init; } = [];
    /// <summary>The VirtualService's tcp routes, for connections the sidecar tunnels; null when it has none.</summary>
    public ImmutableArray<TcpRouteRule>? Tcp { get; init; }
    /// <summary>"VirtualService ns/name", for explanations and config dumps.</summary>
    public required string Source { get; init; }
}

public enum StringMatchKind { Exact, Prefix, Regex }

/// <summary>Istio's StringMatch: one of exact, prefix or regex (RE2 syntax, matched against the whole value).</summary>
public sealed record StringMatchRule(StringMatchKind Kind, string Value);

/// <summary>A named field (header or query parameter) and how its value must match.</summary>
public sealed record NamedMatch(string Name, StringMatchRule Match);

/// <summary>One match block: every condition set must hold (the blocks of a route are alternatives).</summary>
public sealed record HttpRouteMatch
{
    public StringMatchRule? Uri { get; init; }
    public StringMatchRule? Method { get; init; }
    public ImmutableArray<NamedMatch> Headers { get; init; } = [];
    public ImmutableArray<NamedMatch> QueryParams { get; init; } = [];
    /// <summary>The port the client called (the Service port, or the gateway listener's).</summary>
    public int? Port { get; init; }
}

/// <summary>A weighted destination: a service port, optionally one DestinationRule subset of it.</summary>
public sealed record RouteCluster
{
    /// <summary>Service FQDN, as in <see cref="OutboundService.Hostname"/>.</summary>
    public required string Host { get; init; }
    /// <summary>The destination's Service port; 0: the port the client called (or the service's only port), as a sidecar route without a port means.</summary>
    public required int Port { get; init; }
    public string? Subset { get; init; }
    public int Weight { get; init; } = 100;
}

/// <summary>One tcp route of a VirtualService: the ports it takes (empty: every port) and its weighted destinations.</summary>
public sealed record TcpRouteRule
{
    public ImmutableArray<int> Ports { get; init; } = [];
    public ImmutableArray<RouteCluster> Destinations { get; init; } = [];
}

/// <summary>One field value to set or add.</summary>
public sealed record HeaderValue(string Name, string Value);

/// <summary>Header manipulation for one direction.</summary>
public sealed record HeaderEdits
{
    public ImmutableArray<HeaderValue> Set { get; init; } = [];
    public ImmutableArray<HeaderValue> Add { get; init; } = [];
    public ImmutableArray<string> Remove { get; init; } = [];
}

/// <summary>One HTTP route of a VirtualService, with its actions.</summary>
public sealed record HttpRouteRule
{
    public string? Name { get; init; }
    /// <summary>Alternatives; empty matches every request.</summary>
    public ImmutableArray<HttpRouteMatch> Matches { get; init; } = [];
    public ImmutableArray<RouteCluster> Destinations { get; init; } = [];
    /// <summary>Replaces the matched URI prefix (or the whole path, for an exact match).</summary>
    public string? RewriteUri { get; init; }
    public string? RewriteAuthority { get; init; }
    /// <summary>The request's deadline; past it the client gets 504 with flag UT.</summary>
    public int? TimeoutMs { get; init; }
    /// <summary>The route's retry policy; null: Istio's default policy (<see cref="RouteRetry.IstioDefault"/>).</summary>
    public RouteRetry? Retry { get; init; }
    public HeaderEdits? RequestHeaders { get; init; }
    /// <summary>Edits to the response head the client gets from the upstream (not to the proxy's own error answers).</summary>
    public HeaderEdits? ResponseHeaders { get; init; }
    public RouteFault? Fault { get; init; }
}

/// <summary>
/// When the proxy sends a request again (Envoy's route retry policy): up to <see cref="Attempts"/> times after the
/// first, each attempt bounded by <see cref="PerTryTimeoutMs"/>, when the outcome meets one of <see cref="On"/>
/// (Envoy's retry_on names) or, with <c>retriable-status-codes</c>, its status is one of <see cref="StatusCodes"/>.
/// </summary>
public sealed record RouteRetry
{
    /// <summary>Istio's default for a route without <c>retries</c>: two retries of connect failures, refused streams, gRPC unavailable or cancelled, and 503.</summary>
    public static RouteRetry IstioDefault { get; } = new()
    {
        Attempts = 2,
        On = ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"],
        StatusCodes = [503],
    };

    public int Attempts { get; init; }
    public int? PerTryTimeoutMs { get; init; }
    public ImmutableArray<string> On { get; init; } = [];
    public ImmutableArray<int> StatusCodes { get; init; } = [];
}

/// <summary>
/// Faults injected before a request leaves (Envoy's fault filter, which runs ahead of the router): a delay of
/// <see cref="DelayMs"/> for <see cref="DelayPercent"/> of requests, then an answer of <see cref="AbortStatus"/> for
/// <see cref="AbortPercent"/> of them instead of forwarding. Percentages run from 0 to 100.
/// </summary>
public sealed record RouteFault
{
    public int? DelayMs { get; init; }
    public double DelayPercent { get; init; }
    public int? AbortStatus { get; init; }
    public double AbortPercent { get; init; }
}

/// <summary>A DestinationRule subset of one service port: its pods, and the client TLS decided for them.</summary>
public sealed record OutboundSubset
{
    public required string Name { get; init; }
    public ImmutableArray<UpstreamEndpoint> Endpoints { get; init; } = [];
    public ImmutableArray<string> AcceptedIdentities { get; init; } = [];
    public string TlsSource { get; init; } = "auto";
    public string? Sni { get; init; }
}

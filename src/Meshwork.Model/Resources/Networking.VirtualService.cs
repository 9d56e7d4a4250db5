using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

public sealed record RouteDestination
{
    public required string Host { get; init; }
    public string? Subset { get; init; }
    public int? Port { get; init; }
}

public sealed record WeightedDestination
{
    public required RouteDestination Destination { get; init; }
    public int Weight { get; init; }
}

/// <summary>One match condition of an HTTP route. Each string match is kept as written ("exact:/x", "prefix:/x", "regex:...").</summary>
public sealed record HttpMatch
{
    public string? Uri { get; init; }
    public string? Method { get; init; }
    public ImmutableSortedDictionary<string, string> Headers { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public int? Port { get; init; }
    public ImmutableArray<string> Gateways { get; init; } = [];
    /// <summary>Query parameter matches, each kept as written ("exact:v", "prefix:v", "regex:...").</summary>
    public ImmutableSortedDictionary<string, string> QueryParams { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(HttpMatch? other) =>
        other is not null
            && Uri == other.Uri
            && Method == other.Method
            && Equality.Map(Headers, other.Headers)
            && Port == other.Port
            && Equality.Seq(Gateways, other.Gateways)
            && Equality.Map(QueryParams, other.QueryParams);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Uri);
        hash.Add(Method);
        hash.Add(Equality.Hash(Headers));
        hash.Add(Port);
        hash.Add(Equality.Hash(Gateways));
        hash.Add(Equality.Hash(QueryParams));
        return hash.ToHashCode();
    }
}

/// <summary>An HTTP route's rewrite: the matched URI prefix (or the whole path, for an exact match) and the authority.</summary>
public sealed record HttpRewrite
{
    public string? Uri { get; init; }
    public string? Authority { get; init; }
}

/// <summary>
/// Istio's HTTPRetry: <see cref="Attempts"/> beyond the first (0 turns retries off), each attempt bounded by
/// <see cref="PerTryTimeout"/>, on the conditions of <see cref="RetryOn"/> (Envoy's <c>x-envoy-retry-on</c> names and
/// status codes, comma-separated, as <see cref="RetryOnConditions"/> reads them); null: Istio's default conditions.
/// </summary>
public sealed record HttpRetry
{
    public int Attempts { get; init; }
    public TimeSpan? PerTryTimeout { get; init; }
    public string? RetryOn { get; init; }
}

/// <summary>Istio's HTTPFaultInjection: delay and/or abort a share of the route's requests before they leave.</summary>
public sealed record HttpFault
{
    public FaultDelay? Delay { get; init; }
    public FaultAbort? Abort { get; init; }
}

/// <summary>Hold a request for <see cref="FixedDelay"/> before forwarding it; <see cref="Percentage"/> of requests (0–100; Istio: all when unset).</summary>
public sealed record FaultDelay
{
    public TimeSpan FixedDelay { get; init; }
    public double Percentage { get; init; } = 100;
}

/// <summary>Answer <see cref="HttpStatus"/> without forwarding; <see cref="Percentage"/> of requests (0–100; Istio: all when unset).</summary>
public sealed record FaultAbort
{
    public int HttpStatus { get; init; }
    public double Percentage { get; init; } = 100;
}

/// <summary>Header manipulation for one direction: fields set (replacing), added (appended) and removed.</summary>
public sealed record HeaderOperations
{
    public ImmutableSortedDictionary<string, string> Set { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableSortedDictionary<string, string> Add { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<string> Remove { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(HeaderOperations? other) =>
        other is not null
            && Equality.Map(Set, other.Set)
            && Equality.Map(Add, other.Add)
            && Equality.Seq(Remove, other.Remove);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(Set));
        hash.Add(Equality.Hash(Add));
        hash.Add(Equality.Hash(Remove));
        return hash.ToHashCode();
    }
}

/// <summary>Istio's Headers, as far as Meshwork executes them: operations on the request towards the destination.</summary>
public sealed record HttpHeaders
{
    public HeaderOperations? Request { get; init; }
    public HeaderOperations? Response { get; init; }
}

public sealed record HttpRoute
{
    public string? Name { get; init; }
    public ImmutableArray<HttpMatch> Match { get; init; } = [];
    public ImmutableArray<WeightedDestination> Route { get; init; } = [];
    public HttpRewrite? Rewrite { get; init; }
    /// <summary>The whole request's deadline; null: none (Istio's default for HTTP routes).</summary>
    public TimeSpan? Timeout { get; init; }
    public HttpRetry? Retries { get; init; }
    public HttpHeaders? Headers { get; init; }
    public HttpFault? Fault { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(HttpRoute? other) =>
        other is not null
            && Name == other.Name
            && Equality.Seq(Match, other.Match)
            && Equality.Seq(Route, other.Route)
            && Rewrite == other.Rewrite
            && Timeout == other.Timeout
            && Retries == other.Retries
            && Headers == other.Headers
            && Fault == other.Fault;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Name);
        hash.Add(Equality.Hash(Match));
        hash.Add(Equality.Hash(Route));
        hash.Add(Rewrite);
        hash.Add(Timeout);
        hash.Add(Retries);
        hash.Add(Headers);
        hash.Add(Fault);
        return hash.ToHashCode();
    }
}

/// <summary>Istio's L4MatchAttributes, as far as Meshwork executes them: the port the client connected to.</summary>
public sealed record L4Match
{
    public int? Port { get; init; }
}

/// <summary>A VirtualService TCP route: the first whose match blocks admit the connection (none: every one) takes it.</summary>
public sealed record TcpRoute
{
    public ImmutableArray<L4Match> Match { get; init; } = [];
    public ImmutableArray<WeightedDestination> Route { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(TcpRoute? other) =>
        other is not null
            && Equality.Seq(Match, other.Match)
            && Equality.Seq(Route, other.Route);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(Match));
        hash.Add(Equality.Hash(Route));
        return hash.ToHashCode();
    }
}

public sealed record VirtualServiceSpec
{
    public ImmutableArray<string> Hosts { get; init; } = [];
    public ImmutableArray<string> Gateways { get; init; } = [];
    public ImmutableArray<HttpRoute> Http { get; init; } = [];
    public ImmutableArray<TcpRoute> Tcp { get; init; } = [];
    public ImmutableArray<string> ExportTo { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(VirtualServiceSpec? other) =>
        other is not null
            && Equality.Seq(Hosts, other.Hosts)
            && Equality.Seq(Gateways, other.Gateways)
            && Equality.Seq(Http, other.Http)
            && Equality.Seq(Tcp, other.Tcp)
            && Equality.Seq(ExportTo, other.ExportTo);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(Hosts));
        hash.Add(Equality.Hash(Gateways));
        hash.Add(Equality.Hash(Http));
        hash.Add(Equality.Hash(Tcp));
        hash.Add(Equality.Hash(ExportTo));
        return hash.ToHashCode();
    }
}

public sealed record VirtualService : Resource
{
    public override string Kind => "VirtualService";
    public required VirtualServiceSpec Spec { get; init; }
}

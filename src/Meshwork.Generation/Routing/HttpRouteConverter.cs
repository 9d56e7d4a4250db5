using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Policy;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Routing;

/// <summary>
/// A VirtualService HTTP route as the proxy executes it: string matches parsed, destination hosts made
/// fully qualified, durations in milliseconds. Match blocks that name other gateways are dropped here, so the
/// proxy never sees a condition it cannot judge.
/// </summary>
internal static class HttpRouteConverter
{
    /// <summary>
    /// The route for a proxy that <paramref name="appliesTo"/> says a match block's own <c>gateways</c> list
    /// admits; null when every block of the route names other gateways.
    /// <paramref name="defaultPort"/> gives the port of a destination that names none.
    /// </summary>
    public static HttpRouteRule? Convert(HttpRoute route, string @namespace, Func<ImmutableArray<string>, bool> appliesTo, Func<string, int> defaultPort)
    {
        var matches = ImmutableArray.CreateBuilder<HttpRouteMatch>();
        foreach (var match in route.Match)
        {
            if (!match.Gateways.IsEmpty && !appliesTo(match.Gateways)) continue;
            matches.Add(new HttpRouteMatch
            {
                Uri = Parse(match.Uri),
                Method = Parse(match.Method),
                Headers = [.. match.Headers.Select(h => new NamedMatch(h.Key.ToLowerInvariant(), Parse(h.Value)!))],
                QueryParams = [.. match.QueryParams.Select(q => new NamedMatch(q.Key, Parse(q.Value)!))],
                Port = match.Port,
            });
        }
        if (!route.Match.IsEmpty && matches.Count == 0) return null;

        return new HttpRouteRule
        {
            Name = route.Name,
            Matches = matches.ToImmutable(),
            Destinations = Destinations(route.Route, @namespace, defaultPort),
            RewriteUri = route.Rewrite?.Uri,
            RewriteAuthority = route.Rewrite?.Authority,
            TimeoutMs = Milliseconds(route.Timeout),
            Retry = Retry(route.Retries),
            RequestHeaders = Edits(route.Headers?.Request),
            ResponseHeaders = Edits(route.Headers?.Response),
            Fault = route.Fault is { } fault ? new RouteFault
            {
                DelayMs = fault.Delay is { } delay ? Milliseconds(delay.FixedDelay) : null,
                DelayPercent = fault.Delay?.Percentage ?? 0,
                AbortStatus = fault.Abort?.HttpStatus,
                AbortPercent = fault.Abort?.Percentage ?? 0,
            } : null,
        };
    }

    /// <summary>A tcp route: the ports its match blocks name (empty when a block, or the lack of any, admits every port).</summary>
    public static TcpRouteRule ConvertTcp(TcpRoute route, string @namespace, Func<string, int> defaultPort) => new()
    {
        Ports = route.Match.IsEmpty || route.Match.Any(m => m.Port is null) ? [] : [.. route.Match.Select(m => m.Port!.Value).Distinct()],
        Destinations = Destinations(route.Route, @namespace, defaultPort),
    };

    /// <summary>Weighted destinations with hosts made fully qualified; a destination without a port takes <paramref name="defaultPort"/>'s.</summary>
    private static ImmutableArray<RouteCluster> Destinations(ImmutableArray<WeightedDestination> route, string @namespace, Func<string, int> defaultPort)
    {
        var single = route.Length == 1;
        return [.. route.Select(d =>
        {
            var host = RouteHosts.Fqdn(d.Destination.Host, @namespace);
            return new RouteCluster
            {
                Host = host,
                Port = d.Destination.Port ?? defaultPort(host),
                Subset = d.Destination.Subset,
                // Istio: a lone destination takes all traffic whatever its weight says.
                Weight = single ? 100 : d.Weight,
            };
        })];
    }

    /// <summary>
    /// Istio's conversion (pilot route/retry): no <c>retries</c> keeps the default policy; attempts 0 turns retries off;
    /// otherwise the default policy with the route's attempts, per-try timeout and, when given, its retryOn, whose
    /// status codes replace the default's 503.
    /// </summary>
    private static RouteRetry? Retry(HttpRetry? retries)
    {
        if (retries is null) return null;
        if (retries.Attempts == 0) return new RouteRetry { Attempts = 0 };
        var policy = RouteRetry.IstioDefault with { Attempts = retries.Attempts, PerTryTimeoutMs = Milliseconds(retries.PerTryTimeout) };
        // The reader refused a retryOn that does not parse, so only valid ones reach generation.
        if (retries.RetryOn is { } retryOn && RetryOnConditions.TryParse(retryOn, out var conditions, out var codes, out _))
            policy = policy with { On = conditions, StatusCodes = codes };
        return policy;
    }

    private static int? Milliseconds(TimeSpan? duration) => duration is { } d ? (int)Math.Ceiling(d.TotalMilliseconds) : null;

    /// <summary>The model keeps a StringMatch as "kind:value".</summary>
    private static StringMatchRule? Parse(string? match)
    {
        if (match is null) return null;
        var colon = match.IndexOf(':', StringComparison.Ordinal);
        var kind = match[..colon] switch
        {
            "exact" => StringMatchKind.Exact,
            "prefix" => StringMatchKind.Prefix,
            _ => StringMatchKind.Regex,
        };
        return new StringMatchRule(kind, match[(colon + 1)..]);
    }

    private static HeaderEdits? Edits(HeaderOperations? operations) => operations is null ? null : new HeaderEdits
    {
        Set = [.. operations.Set.Select(s => new HeaderValue(s.Key.ToLowerInvariant(), s.Value))],
        Add = [.. operations.Add.Select(s => new HeaderValue(s.Key.ToLowerInvariant(), s.Value))],
        Remove = [.. operations.Remove.Select(r => r.ToLowerInvariant())],
    };
}

using System.Text;
using Meshwork.Proxy.Http1;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>
/// One VirtualService HTTP route, ready to run: its match blocks, its weighted destinations and its
/// actions, with the bytes the relay writes (rewritten fields) made once per snapshot.
/// </summary>
internal sealed class CompiledRoute
{
    private readonly CompiledRequestMatch[] _matches;
    private readonly WeightedClusters _destinations;

    public HttpRouteRule Rule { get; }
    public string Source { get; }
    /// <summary>The whole request's deadline, or null.</summary>
    public TimeSpan? Timeout { get; }
    /// <summary>Field names the forwarded head leaves out (lower case): the set and removed ones, and Host when the authority is rewritten.</summary>
    public byte[][] DroppedFields { get; }
    /// <summary>Field lines ("name: value\r\n") the forwarded head gains: set, added and the rewritten Host.</summary>
    public byte[] AddedFields { get; }
    /// <summary>The edits to the upstream's final response head (VirtualService headers.response).</summary>
    public FieldEdits ResponseEdits { get; }
    /// <summary>When a request on this route is sent again; Istio's default when the route sets none.</summary>
    public RetryPolicy Retry { get; }

    public CompiledRoute(HttpRouteRule rule, string source)
    {
        Rule = rule;
        Source = source;
        _matches = [.. (rule.Matches.IsDefault ? [] : rule.Matches).Select(m => new CompiledRequestMatch(m))];
        _destinations = new WeightedClusters(rule.Destinations);
        Timeout = rule.TimeoutMs is int ms and > 0 ? TimeSpan.FromMilliseconds(ms) : null;

        var request = FieldEdits.Compile(rule.RequestHeaders, rule.RewriteAuthority is { } authority ? ("host", authority) : null);
        DroppedFields = request.Dropped;
        AddedFields = request.Added;
        ResponseEdits = FieldEdits.Compile(rule.ResponseHeaders);
        Retry = rule.Retry is { } retry ? new RetryPolicy(retry) : RetryPolicy.Default;
    }

    /// <summary>The first match block that holds, or null; a route without blocks matches every request.</summary>
    public bool TryMatch<TRequest>(in TRequest request, int port, out CompiledRequestMatch? matched) where TRequest : IRouteRequest, allows ref struct
    {
        matched = null;
        if (_matches.Length == 0) return true;
        foreach (var match in _matches)
        {
            if (!match.Matches(request, port)) continue;
            matched = match;
            return true;
        }
        return false;
    }

    /// <summary>A destination drawn by weight (Envoy's weighted clusters); null when the route has none.</summary>
    public RouteCluster? PickDestination() => _destinations.Pick();

    /// <summary>
    /// The path the upstream gets: the matched prefix (or exact path) replaced by the rewrite, as Envoy's
    /// prefix_rewrite does; the path itself without a rewrite.
    /// </summary>
    public static ReadOnlySpan<byte> RewritePath(CompiledRoute? route, CompiledRequestMatch? match, ReadOnlySpan<byte> path)
    {
        if (route?.Rule.RewriteUri is not { } rewrite) return path;
        var prefix = match?.RewritablePrefix ?? "/";
        var prefixLength = Encoding.UTF8.GetByteCount(prefix);
        var rest = path.Length >= prefixLength ? path[prefixLength..] : default;
        var result = new byte[Encoding.UTF8.GetByteCount(rewrite) + rest.Length];
        var written = Encoding.UTF8.GetBytes(rewrite, result);
        rest.CopyTo(result.AsSpan(written));
        return result;
    }
}

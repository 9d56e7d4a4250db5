using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound;

/// <summary>What a connection to the upstream is for: it decides the ALPN offered over mTLS.</summary>
internal enum UpstreamUse { Http1, Tcp }

/// <summary>A connected upstream endpoint, or why none could be had; <paramref name="Attempts"/>: the endpoints tried.</summary>
internal readonly record struct UpstreamConnect(Stream? Stream, UpstreamEndpoint? Endpoint, UpstreamException? Failure, int Attempts = 1)
{
    public bool Connected => Stream is not null;

    /// <summary>True when more than one endpoint was tried.</summary>
    public bool Retried => Attempts > 1;
}

/// <summary>
/// Where a request goes: the target and, when a VirtualService routed it, the route and the match block that
/// chose it; or the stage at which routing failed and why.
/// </summary>
internal readonly record struct RouteResult(RouteTarget? Target, CompiledRoute? Route, CompiledRequestMatch? Match, UpstreamStage? Failure, string? Error)
{
    public static RouteResult Fail(UpstreamStage stage, string error) => new(null, null, null, stage, error);
}

/// <summary>A failure as the client sees it: status, Envoy response flag and body, from one table.</summary>
internal readonly record struct CallFailure(int Status, string Flags, string Body);

/// <summary>
/// The one upstream call every outbound entry makes (the app's <c>http_proxy</c> on :15001, CONNECT,
/// fixed listeners, HTTP/2 upstreams): resolve the route → pick an endpoint → connect with the TLS that
/// policy decided (mTLS and secure naming, or plaintext) → retry what was not sent → map a failure to a
/// response → the labels its metrics are recorded under. The entries differ only in how a request
/// arrives and how its bytes are relayed.
/// </summary>
internal sealed class UpstreamCall(UpstreamConnector connector, ProxyMetrics metrics)
{
    /// <summary>Endpoints a TCP connection is tried on (Istio's default policy: two retries of a connect failure).</summary>
    public static int MaxAttempts => RetryPolicy.Default.Attempts;

    /// <summary>Kept-alive HTTP/1.1 connections per endpoint, shared by every outbound entry.</summary>
    public UpstreamConnectionPool<UpstreamEndpoint> Pool { get; } = new(PooledEndpointComparer.Instance);

    public UpstreamConnector Connector => connector;

    /// <summary>
    /// The route for host:port: today the Service itself; VirtualService routing plugs in here.
    /// On failure, <paramref name="error"/> says what was missing.
    /// </summary>
    public static bool TryRoute(ActiveConfig config, string host, int port, out RouteTarget? target, out string? error) =>
        config.Router.TryResolve(host, port, out target, out error);

    /// <summary>
    /// The target of a connection tunnelled to host:port: the first tcp route of the service's VirtualService that
    /// admits the port, its destination drawn by weight (and maybe a subset); no route admitting it is a failure, as
    /// Envoy has no filter chain for it. Without tcp routes, the Service itself, as <see cref="TryRoute"/> resolves it.
    /// </summary>
    public static bool TryRouteTcp(ActiveConfig config, string host, int port, out RouteTarget? target, out string? error)
    {
        if (config.Routes.IsEmpty
            || !config.Router.TryResolveService(host, out var service)
            || config.Routes.TcpFor(service.Hostname.TrimEnd('.')) is not { } routes)
        {
            return TryRoute(config, host, port, out target, out error);
        }
        foreach (var route in routes)
        {
            if (!route.Admits(port)) continue;
            if (route.PickDestination() is not { } destination)
            {
                (target, error) = (null, $"the matched tcp route of {route.Source} has no destination");
                return false;
            }
            if (config.Router.TryDestination(destination.Host, destination.Port, destination.Subset, port, out target, out error)) return true;
            error = $"{route.Source}: {error}";
            return false;
        }
        (target, error) = (null, $"no tcp route of {routes[0].Source} takes port {port}");
        return false;
    }

    /// <summary>
    /// The route for an HTTP request to host:port. When a VirtualService routes the service, its routes are tried in
    /// order and the first that matches wins (Istio); none matching is a 404 NR; the winner's destination is drawn by
    /// weight and may be a subset. Otherwise the Service itself is the route, as <see cref="TryRoute"/> resolves it.
    /// </summary>
    public static RouteResult Route<TRequest>(ActiveConfig config, string host, int port, in TRequest request) where TRequest : IRouteRequest, allows ref struct
    {
        if (config.Routes.IsEmpty
            || !config.Router.TryResolveService(host, out var service)
            || config.Routes.For(service.Hostname.TrimEnd('.')) is not { } routes)
        {
            return TryRoute(config, host, port, out var target, out var error)
                ? new RouteResult(target, null, null, null, null)
                : RouteResult.Fail(UpstreamStage.NoRoute, error!);
        }
        return FirstMatch(config, routes, port, request)
            ?? RouteResult.Fail(UpstreamStage.NoMatchingRoute, routes.Length == 0
                ? $"the VirtualService for {service.Hostname} has no route for sidecars"
                : $"no route of {routes[0].Source} matches the request");
    }

    /// <summary>
    /// The route for a request a gateway listener took on Gateway port <paramref name="port"/>: a server must accept the
    /// host, a bound VirtualService must name it, and one of its routes must match; otherwise 404 NR.
    /// </summary>
    public static RouteResult RouteAtGateway<TRequest>(ActiveConfig config, int port, string host, in TRequest request) where TRequest : IRouteRequest, allows ref struct
    {
        if (config.GatewayRoutes.For(port, host, out var error) is not { } routes) return RouteResult.Fail(UpstreamStage.NoMatchingRoute, error!);
        return FirstMatch(config, routes, port, request)
            ?? RouteResult.Fail(UpstreamStage.NoMatchingRoute, routes.Length == 0 ? $"no route for '{host}' applies to this gateway" : $"no route of {routes[0].Source} matches the request");
    }

    /// <summary>The first route that matches, its destination drawn by weight; null when none matches.</summary>
    private static RouteResult? FirstMatch<TRequest>(ActiveConfig config, CompiledRoute[] routes, int port, in TRequest request) where TRequest : IRouteRequest, allows ref struct
    {
        foreach (var route in routes)
        {
            if (!route.TryMatch(request, port, out var match)) continue;
            if (route.PickDestination() is not { } destination)
                return RouteResult.Fail(UpstreamStage.NoCluster, $"the matched route of {route.Source} has no destination");
            return config.Router.TryDestination(destination.Host, destination.Port, destination.Subset, port, out var target, out var error)
                ? new RouteResult(target, route, match, null, null)
                : RouteResult.Fail(UpstreamStage.NoCluster, $"{route.Source}: {error}");
        }
        return null;
    }

    /// <summary>
    /// Picks an endpoint and connects. A refused or timed-out connect is retried on another endpoint when
    /// <paramref name="retryable"/> (nothing of the request was sent yet), up to <paramref name="maxAttempts"/>;
    /// a TLS failure is final (another endpoint of the same service would fail the same way).
    /// <paramref name="first"/> is the endpoint already picked for this request, if any.
    /// </summary>
    public async ValueTask<UpstreamConnect> ConnectAsync(RouteTarget target, UpstreamEndpoint? first, UpstreamUse use, bool retryable, CancellationToken cancellationToken, int maxAttempts)
    {
        List<UpstreamEndpoint>? tried = null;
        UpstreamException? failure = null;
        var endpoint = first ?? target.Picker.Pick();
        for (var attempt = 1; endpoint is not null; attempt++)
        {
            try
            {
                var stream = await connector.ConnectAsync(target.Service, target.Port, endpoint, http: use == UpstreamUse.Http1, cancellationToken).ConfigureAwait(false);
                return new UpstreamConnect(stream, endpoint, null, attempt);
            }
            catch (UpstreamException e)
            {
                failure = e;
                target.Picker.ReportConnectFailure(endpoint);
                if (e.Stage != UpstreamStage.Connect || !retryable || attempt >= maxAttempts) break;
                (tried ??= []).Add(endpoint);
                var next = target.Picker.Pick(tried);
                if (next is null) break;
                endpoint = next;
            }
        }
        return new UpstreamConnect(null, endpoint, failure, tried is { Count: > 0 } ? tried.Count + 1 : 1);
    }

    /// <summary>The client's view of a failure at <paramref name="stage"/>: one table for every entry.</summary>
    public static CallFailure Fail(UpstreamStage stage, bool retried, string detail, RouteTarget? target = null, string? authority = null)
    {
        var (status, flags) = ErrorResponder.Map(stage, retried);
        var body = stage switch
        {
            UpstreamStage.NoRoute or UpstreamStage.NoMatchingRoute or UpstreamStage.NoCluster => $"meshwork: no route to {authority}: {detail}",
            UpstreamStage.Timeout => "upstream request timeout",
            UpstreamStage.NoHealthyUpstream => $"meshwork: no healthy upstream: {target?.Authority ?? authority} has no ready endpoint",
            UpstreamStage.Tls => $"upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: {detail}",
            UpstreamStage.Connect => $"upstream connect error or disconnect/reset before headers. reset reason: connection failure: {detail}",
            _ => detail,
        };
        return new CallFailure(status, flags, body);
    }

    /// <summary>The source-reporter labels of a request to <paramref name="endpoint"/>, interned once per route and endpoint.</summary>
    public LabelsHandle HttpLabels(ActiveConfig config, RouteTarget? target, UpstreamEndpoint? endpoint)
    {
        if (target is null) return metrics.Intern(OutboundLabels.For(config, null, null, tcp: false));
        var key = (object?)endpoint ?? target;
        return target.Labels.TryGetValue(key, out var cached)
            ? cached
            : target.Labels.GetOrAdd(key, metrics.Intern(OutboundLabels.For(config, target, endpoint, tcp: false)));
    }

    /// <summary>The source-reporter labels of a TCP connection (made once per connection).</summary>
    public LabelsHandle TcpLabels(ActiveConfig config, RouteTarget? target, UpstreamEndpoint? endpoint) =>
        metrics.Intern(OutboundLabels.For(config, target, endpoint, tcp: true));
}

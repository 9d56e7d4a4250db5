using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.Proxy.Transport.Loop;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// The outbound HTTP/1.1 entry, on the proxy's own sockets: the app's <c>http_proxy</c> listener (:15001:
/// absolute-form targets, or origin-form with a Host field, and CONNECT) and the fixed listeners (every
/// request to one service port, whatever its Host says). Each request makes the one
/// <see cref="UpstreamCall"/> and is relayed on a kept-alive upstream connection by <see cref="Http1Relay"/>.
/// In the Network role (pods without a sidecar) it plays the plain network: plaintext always, and an upstream
/// reset becomes a client reset.
/// </summary>
internal sealed class OutboundHttp1Relay(UpstreamCall call, ProxyState state, ProxyMetrics metrics, TimeSpan idleTimeout, ILogger logger)
{
    private static readonly byte[] PeerPrefix = System.Text.Encoding.ASCII.GetBytes(PeerMetadata.Prefix);
    private readonly ConnectTunnel _tunnel = new(call, state, metrics, logger);

    /// <summary>The tunnel CONNECT opens; captured TCP connections take the same one.</summary>
    public ConnectTunnel Tunnel => _tunnel;

    /// <summary>
    /// Serves one downstream connection until it closes, or until <paramref name="stopping"/> between requests.
    /// <paramref name="fixedDestination"/> is the service port of a fixed listener; null on the http_proxy
    /// listener, where each request names its destination and CONNECT opens a tunnel. <paramref name="gatewayPort"/>
    /// makes it a gateway listener for that Gateway port: each request is routed by its Host through the Gateway's
    /// servers and bound VirtualServices, and CONNECT is not served.
    /// </summary>
    public async Task ServeAsync(Socket socket, RequestDestination? fixedDestination, CancellationToken stopping, int? gatewayPort = null)
    {
        await using var stream = LoopStream.Open(socket, ownsSocket: false);
        await ServeAsync(socket, stream, fixedDestination, stopping, gatewayPort).ConfigureAwait(false);
    }

    /// <summary>
    /// Serves an HTTPS Gateway port's connection once TLS is terminated: requests are read from and answered on
    /// <paramref name="tls"/>, routed as on a plaintext gateway port.
    /// </summary>
    public Task ServeGatewayTlsAsync(Socket socket, Stream tls, int gatewayPort, CancellationToken stopping)
        => ServeAsync(socket, tls, null, stopping, gatewayPort);

    private async Task ServeAsync(Socket socket, Stream stream, RequestDestination? fixedDestination, CancellationToken stopping, int? gatewayPort)
    {
        using var downIn = new HttpInput(stream, RelaySide.Downstream);
        using var downOut = new HttpOutput(stream, RelaySide.Downstream);
        using var pending = new HttpOutput(Stream.Null, RelaySide.Upstream, HttpOutput.HeadBufferSize);
        var cache = new DestinationCache();
        using var idle = new DownstreamIdleTimer(idleTimeout, stopping);
        try
        {
            while (true)
            {
                int headLength;
                try
                {
                    if (!await idle.WaitForRequestAsync(downIn).ConfigureAwait(false)) break;
                    headLength = await downIn.ReadHeadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (HttpWireException e)
                {
                    await Http1Relay.RefuseAsync(downOut, e, CancellationToken.None).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is RelayException or OperationCanceledException) { return; }
                if (headLength == 0) break;
                var next = await ServeRequestAsync(socket, stream, downIn, downOut, pending, headLength, fixedDestination, gatewayPort, cache).ConfigureAwait(false);
                if (next == Next.Reset) { ConnectionReset.Reset(socket); return; }
                // A tunnel that ended has closed (or reset) both sides already.
                if (next == Next.Tunnelled) return;
                if (next == Next.Close) break;
            }
        }
        catch (Exception e) when (e is RelayException or OperationCanceledException or ObjectDisposedException) { return; }
        if (stream is System.Net.Security.SslStream tls)
        {
            // RFC 8446 §6.1: close_notify before the transport closes, so the client sees an end, not a truncation.
            try { await tls.ShutdownAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
        }
        try { socket.Shutdown(SocketShutdown.Send); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    private enum Next { KeepAlive, Close, Reset, Tunnelled }

    /// <summary>The destination last parsed on this connection: a client that keeps sending to one service parses its host once.</summary>
    private sealed class DestinationCache
    {
        public byte[] Authority = [];
        public RequestDestination Destination;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Next> ServeRequestAsync(Socket socket, Stream stream, HttpInput downIn, HttpOutput downOut, HttpOutput pending, int headLength,
        RequestDestination? fixedDestination, int? gatewayPort, DestinationCache cache)
    {
        var started = Stopwatch.GetTimestamp();
        var config = state.Config;
        Http1Relay.RequestFrame frame;
        RequestDestination destination;
        RouteResult routed;
        string method;
        pending.Discard();
        try
        {
            var head = HttpHead.ParseRequest(downIn.Span[..headLength]);
            method = MethodNames.Of(head.First);
            var connect = fixedDestination is null && gatewayPort is null && method == "CONNECT";
            string? error = null;
            if (fixedDestination is { } fixedTo) destination = fixedTo;
            else if (connect ? !RequestDestination.TryParseAuthorityForm(head.Second, out destination, out error) : !TryDestination(head, cache, out destination, out error))
            {
                downIn.Consume(headLength);
                await Http1Relay.WriteLocalResponseAsync(downOut, 400, $"meshwork: cannot tell the destination of this request: {error}", close: true, CancellationToken.None).ConfigureAwait(false);
                return Next.Close;
            }
            if (connect)
            {
                downIn.Consume(headLength);
                await _tunnel.RunAsync(socket, stream, downIn, downOut, destination, config).ConfigureAwait(false);
                return Next.Tunnelled;
            }
            if (config is null)
            {
                downIn.Consume(headLength);
                await Http1Relay.WriteLocalResponseAsync(downOut, 503, "meshwork: the proxy has no configuration yet", close: true, CancellationToken.None).ConfigureAwait(false);
                return Next.Close;
            }
            if (gatewayPort is int plainPort && config.GatewayRoutes.RedirectsToHttps(plainPort, destination.Host))
            {
                // A server with tls.httpsRedirect answers every request with a 301 to the same host and path over
                // https (Envoy's require_tls: ALL), on https's default port.
                var location = $"https://{destination.Host}{System.Text.Encoding.ASCII.GetString(Http1Relay.OriginForm(head.Second))}";
                downIn.Consume(headLength);
                await Http1Relay.WriteRedirectAsync(downOut, location, CancellationToken.None).ConfigureAwait(false);
                metrics.RecordRequest(call.HttpLabels(config, null, null), 301, ResponseFlags.None, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, 0);
                return Next.Close;
            }
            routed = gatewayPort is int port
                ? UpstreamCall.RouteAtGateway(config, port, destination.Host, new Http1RouteRequest(head))
                : UpstreamCall.Route(config, destination.Host, destination.Port, new Http1RouteRequest(head));
            // Open head: the peer metadata fields go in once the endpoint (and so its TLS mode) is known.
            // The codec writes an absolute-form target's authority as the Host field (RFC 9112 §3.2.2).
            var target = CompiledRoute.RewritePath(routed.Route, routed.Match, Http1Relay.OriginForm(head.Second));
            frame = Http1Relay.WriteRequestHead(head, pending, target, default, routed.Route is { } route ? route.AddedFields : default, PeerPrefix, terminate: false,
                dropFields: routed.Route?.DroppedFields);
            downIn.Consume(headLength);
        }
        catch (HttpWireException e)
        {
            await Http1Relay.RefuseAsync(downOut, e, CancellationToken.None).ConfigureAwait(false);
            return Next.Close;
        }

        if (routed.Failure is { } stage)
        {
            var noRoute = UpstreamCall.Fail(stage, false, routed.Error!, authority: $"{destination.Host}:{destination.Port}");
            ProxyLog.OutboundFailed(logger, method, $"{destination.Host}:{destination.Port}", stage, routed.Error!);
            await Http1Relay.WriteLocalResponseAsync(downOut, noRoute.Status, noRoute.Body, close: true, CancellationToken.None).ConfigureAwait(false);
            // A host outside the sidecar's scope under REGISTRY_ONLY is Istio's BlackHoleCluster.
            var labels = stage == UpstreamStage.NoRoute && Capture.BlackHole.Applies(config)
                ? metrics.Intern(Capture.BlackHole.Labels(config, tcp: false))
                : call.HttpLabels(config, null, null);
            metrics.RecordRequest(labels, noRoute.Status, noRoute.Flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, Http1Relay.LocalBodyBytes(noRoute.Body));
            return Next.Close;
        }
        var fault = InjectedFault.Draw(routed.Route);
        var close = frame.Framing != BodyFraming.None || frame.Close;
        if ((fault.Delays || fault.Aborts)
            && await fault.ApplyAsync(downOut, close, metrics, call.HttpLabels(config, routed.Target, null), started, CancellationToken.None).ConfigureAwait(false))
        {
            return close ? Next.Close : Next.KeepAlive;
        }
        return await ExchangeAsync(downIn, downOut, pending, frame, config, routed.Target!, routed.Route, method, started, fault).ConfigureAwait(false);
    }

    /// <summary>
    /// Connect (or reuse), send, relay the answer; sends the request again as the route's retry policy says (a request
    /// with a body only while none of it was sent); maps failures; records the metric.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Next> ExchangeAsync(HttpInput downIn, HttpOutput downOut, HttpOutput pending, Http1Relay.RequestFrame frame,
        ActiveConfig config, RouteTarget target, CompiledRoute? route, string method, long started, InjectedFault fault)
    {
        // The route's timeout bounds the whole exchange: connect, send, and the response head (Envoy's route timeout).
        using var deadline = route?.Timeout is { } timeout ? new CancellationTokenSource(timeout) : null;
        var token = deadline?.Token ?? CancellationToken.None;
        var network = config.Snapshot.Node.Role == ProxyRole.Network;
        var hasBody = frame.Framing != BodyFraming.None;
        var policy = network ? RetryPolicy.PlainNetwork : RetryPolicy.For(route);
        ExchangeResult result = default;
        UpstreamEndpoint? endpoint = null;
        // Endpoints whose attempt failed: a retry goes elsewhere while there is elsewhere (Istio's previous-hosts predicate).
        List<UpstreamEndpoint>? failedOn = null;
        var attempt = 1;
        var retried = false;
        var fresh = false;
        while (true)
        {
            using var perTry = policy.PerTryTimeout is { } limit ? CancellationTokenSource.CreateLinkedTokenSource(token) : null;
            if (perTry is not null) perTry.CancelAfter(policy.PerTryTimeout!.Value);
            var attemptToken = perTry?.Token ?? token;
            UpstreamConnection? up = null;
            if (!fresh)
            {
                endpoint = failedOn is null ? target.Picker.Pick() : target.Picker.Pick(failedOn) ?? target.Picker.Pick();
                if (endpoint is not null) up = call.Pool.TryTake(endpoint);
            }
            if (up is null)
            {
                UpstreamConnect connect;
                try
                {
                    connect = await call.ConnectAsync(target, endpoint, UpstreamUse.Http1, retryable: !hasBody && policy.Retries(AttemptFailure.ConnectFailure), attemptToken,
                        policy.Attempts - attempt + 1).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (attemptToken.IsCancellationRequested)
                {
                    connect = new UpstreamConnect(null, endpoint, new UpstreamException(UpstreamStage.Timeout, "the request's timeout passed while connecting"));
                }
                retried |= connect.Retried;
                attempt += connect.Attempts - 1;
                endpoint = connect.Endpoint;
                if (!connect.Connected)
                {
                    var stage = attemptToken.IsCancellationRequested ? UpstreamStage.Timeout : connect.Failure?.Stage ?? UpstreamStage.NoHealthyUpstream;
                    var failure = UpstreamCall.Fail(stage, retried, connect.Failure?.Message ?? "", target);
                    ProxyLog.OutboundFailed(logger, method, target.Authority, stage, connect.Failure?.Message ?? "no ready endpoint");
                    await Http1Relay.WriteLocalResponseAsync(downOut, failure.Status, failure.Body, close: true, CancellationToken.None).ConfigureAwait(false);
                    metrics.RecordRequest(call.HttpLabels(config, target, endpoint), failure.Status, fault.WithDelayFlag(failure.Flags), Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, Http1Relay.LocalBodyBytes(failure.Body));
                    return Next.Close;
                }
                up = new UpstreamConnection(connect.Stream!);
            }
            up.Output.Append(pending.Written);
            if (endpoint!.Tls == UpstreamTlsMode.IstioMutual && !network) up.Output.Append(config.PeerFields);
            Http1Relay.EndHead(up.Output);
            var mayRetry = !hasBody && policy.HasAttemptAfter(attempt);
            result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, attemptToken, route?.ResponseEdits, mayRetry ? policy : null).ConfigureAwait(false);
            var perTryPassed = perTry?.IsCancellationRequested == true && deadline?.IsCancellationRequested != true;
            if (attemptToken.IsCancellationRequested && result.FailedStage == UpstreamStage.Downstream)
            {
                // A deadline, not the client, ended it: Envoy answers 504 with flag UT.
                result = result with { FailedStage = UpstreamStage.Timeout, Error = "upstream request timeout", UpstreamReusable = false, DownstreamMustClose = true };
            }
            if (result.UpstreamReusable) call.Pool.Return(endpoint, up);
            else await up.DisposeAsync().ConfigureAwait(false);
            if (result.StaleConnection && !fresh)
            {
                // A kept-alive connection closed under the request before anything came back: resend on a new one.
                fresh = true;
                continue;
            }
            if (mayRetry && !result.ResponseStarted && RetriesOutcome(policy, result, perTryPassed))
            {
                (failedOn ??= []).Add(endpoint);
                attempt++;
                retried = true;
                fresh = false;
                continue;
            }
            if (result.FailedStage is null) target.Picker.ReportSuccess(endpoint);
            break;
        }

        var labels = call.HttpLabels(config, target, endpoint);
        var status = result.Status;
        var flags = ResponseFlags.None;
        var responseBytes = result.ResponseBodyBytes;
        var next = result.DownstreamMustClose ? Next.Close : Next.KeepAlive;
        if (result.FailedStage is null && retried && policy.RetriesAnswer(status, grpcStatus: -1)) flags = ResponseFlags.UpstreamRetryLimitExceeded;
        if (result.FailedStage is { } failed)
        {
            var failure = UpstreamCall.Fail(failed, retried, result.Error ?? "meshwork: upstream failure", target);
            flags = failure.Flags;
            if (failed != UpstreamStage.Downstream)
            {
                ProxyLog.OutboundFailed(logger, method, target.Authority, failed, result.Error ?? "");
                if (network && result.UpstreamReset)
                {
                    // The plain network passes a reset through: the client sees what it would see without a proxy.
                    status = 0;
                    next = Next.Reset;
                }
                else if (!result.ResponseStarted)
                {
                    status = failure.Status;
                    responseBytes = Http1Relay.LocalBodyBytes(failure.Body);
                    await Http1Relay.WriteLocalResponseAsync(downOut, failure.Status, failure.Body, close: result.DownstreamMustClose, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        metrics.RecordRequest(labels, status, fault.WithDelayFlag(flags), Stopwatch.GetElapsedTime(started).TotalMilliseconds, result.RequestBodyBytes, responseBytes);
        return next;
    }

    /// <summary>Whether the policy sends a request again after this attempt (an answer it withheld, a reset, a per-try timeout).</summary>
    private static bool RetriesOutcome(RetryPolicy policy, in ExchangeResult result, bool perTryPassed) =>
        result.RetriableAnswer
        || (perTryPassed && result.FailedStage == UpstreamStage.Timeout && policy.Retries(AttemptFailure.PerTryTimeout))
        || (result.FailedStage == UpstreamStage.ResponseHeaders && policy.Retries(AttemptFailure.Reset));

    private static bool TryDestination(in HttpHead head, DestinationCache cache, out RequestDestination destination, out string? error)
    {
        var target = head.Second;
        var authority = target.IsEmpty || target[0] == '/' ? head.Field("host"u8) : SchemeAndAuthority(target);
        if (!cache.Authority.AsSpan().SequenceEqual(authority) || authority.IsEmpty)
        {
            if (!RequestDestination.TryParse(target, head.Field("host"u8), out destination, out error)) return false;
            cache.Authority = authority.ToArray();
            cache.Destination = destination;
            return true;
        }
        // Same bytes, same destination: for an absolute-form target the bytes compared are its scheme and
        // authority, so nothing needs parsing again (no strings per request).
        destination = cache.Destination;
        error = null;
        return true;
    }

    /// <summary>"http://host:port" of an absolute-form target, without its path and query.</summary>
    private static ReadOnlySpan<byte> SchemeAndAuthority(ReadOnlySpan<byte> target)
    {
        var scheme = target.IndexOf("://"u8);
        if (scheme < 0) return target;
        var end = target[(scheme + 3)..].IndexOfAny("/?#"u8);
        return end < 0 ? target : target[..(scheme + 3 + end)];
    }
}

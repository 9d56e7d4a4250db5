using System.Diagnostics;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// A fixed local listener for one upstream service port (Consul's "upstreams", the architecture's
/// fixed local listeners): every HTTP/1.1 request on it goes to that service, whatever its Host
/// header says, with the same routing, endpoint choice, mTLS origination and secure naming as the
/// HTTP proxy listener. Requests are relayed on kept-alive upstream connections by <see cref="Http1Relay"/>.
/// </summary>
internal sealed class FixedUpstreamHandler(FixedUpstream upstream, ProxyState state, UpstreamConnector connector, ProxyMetrics metrics, ILogger logger)
{
    private const int MaxAttempts = 3;
    private readonly UpstreamConnectionPool<UpstreamEndpoint> _pool = new();
    private readonly string _authority = $"{upstream.Host}:{upstream.Port}";
    private readonly Http2.Http2FixedForwarder? _http2 = upstream.Http2 ? new(upstream, state, connector, metrics, logger) : null;

    /// <summary>True when connections go to <see cref="OnSocketAsync"/>; the HTTP/2 upstream mode needs Kestrel's connection.</summary>
    public bool ServesRawSockets => _http2 is null;

    /// <summary>A connection accepted by Kestrel (the HTTP/2 upstream mode is served this way).</summary>
    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        if (_http2 is not null)
        {
            // MESHWORK_UPSTREAM_HTTP2=1: requests share one HTTP/2 connection per endpoint instead of this relay.
            await _http2.OnConnectionAsync(connection).ConfigureAwait(false);
            return;
        }
        // The server stopping ends a kept-alive connection between requests.
        var closeRequested = connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
        try { await RelayAsync(new DuplexPipeStream(connection.Transport), connection.ConnectionClosed, closeRequested).ConfigureAwait(false); }
        finally
        {
            try { await connection.Transport.Output.CompleteAsync().ConfigureAwait(false); } catch (InvalidOperationException) { }
        }
    }

    /// <summary>
    /// A connection from the proxy's own listener (<see cref="Transport.SocketListener"/>): the relay reads
    /// and writes the socket itself, without Kestrel's pipes in between (about 15 % less CPU per request).
    /// </summary>
    public async Task OnSocketAsync(System.Net.Sockets.Socket socket, CancellationToken stopping)
    {
        await using var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: false);
        await RelayAsync(stream, CancellationToken.None, stopping).ConfigureAwait(false);
        try { socket.Shutdown(System.Net.Sockets.SocketShutdown.Send); }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException) { }
    }

    /// <summary>Serves the requests of one downstream connection until it closes, or until <paramref name="closeRequested"/> between requests.</summary>
    private async Task RelayAsync(Stream stream, CancellationToken cancellationToken, CancellationToken closeRequested)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, closeRequested);
        using var downIn = new HttpInput(stream, RelaySide.Downstream);
        using var downOut = new HttpOutput(stream, RelaySide.Downstream);
        using var pending = new HttpOutput(Stream.Null, RelaySide.Upstream);
        ActiveConfig? labelsConfig = null;
        UpstreamEndpoint? labelsEndpoint = null;
        LabelsHandle labels = default;
        try
        {
            while (true)
            {
                int headLength;
                try { headLength = await downIn.ReadHeadAsync(downIn.Buffered > 0 ? cancellationToken : idle.Token).ConfigureAwait(false); }
                catch (HttpWireException e)
                {
                    await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is RelayException or OperationCanceledException) { return; }
                if (headLength == 0) return;
                var started = Stopwatch.GetTimestamp();

                Http1Relay.RequestFrame frame;
                pending.Discard();
                try { frame = Prepare(downIn, headLength, pending); }
                catch (HttpWireException e)
                {
                    await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
                    return;
                }

                var config = state.Config;
                if (config is null)
                {
                    await Http1Relay.WriteLocalResponseAsync(downOut, 503, "meshwork: the proxy has no configuration yet", close: true, cancellationToken).ConfigureAwait(false);
                    return;
                }
                if (!config.Router.TryResolve(upstream.Host, upstream.Port, out var target, out var routeError))
                {
                    ProxyLog.OutboundFailed(logger, "-", _authority, UpstreamStage.NoRoute, routeError!);
                    var (status, flags) = ErrorResponder.Map(UpstreamStage.NoRoute, false);
                    await Http1Relay.WriteLocalResponseAsync(downOut, status, $"meshwork: no route to {_authority}: {routeError}", close: true, cancellationToken).ConfigureAwait(false);
                    metrics.RecordRequest(metrics.Intern(OutboundLabels.For(config, null, null, tcp: false)), status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    return;
                }

                var hasBody = frame.Framing != BodyFraming.None;
                List<UpstreamEndpoint>? tried = null;
                ExchangeResult result = default;
                UpstreamException? connectError = null;
                var fresh = false;
                var attempts = 1;
                var endpoint = target!.Picker.Pick();
                while (endpoint is not null)
                {
                    var up = fresh ? null : _pool.TryTake(endpoint);
                    if (up is null)
                    {
                        try
                        {
                            up = new UpstreamConnection(await connector.ConnectAsync(target.Service, target.Port, endpoint, http: true, cancellationToken).ConfigureAwait(false));
                            connectError = null;
                        }
                        catch (UpstreamException e)
                        {
                            connectError = e;
                            target.Picker.ReportConnectFailure(endpoint);
                            if (e.Stage != UpstreamStage.Connect || hasBody || attempts >= MaxAttempts) break;
                            // Nothing was sent: try another endpoint.
                            (tried ??= []).Add(endpoint);
                            attempts++;
                            var next = target.Picker.Pick(tried);
                            if (next is null) break;
                            endpoint = next;
                            continue;
                        }
                        catch (OperationCanceledException) { return; }
                    }
                    up.Output.Append(pending.Written);
                    if (endpoint.Tls == UpstreamTlsMode.IstioMutual) up.Output.Append(PeerFields(config));
                    Http1Relay.EndHead(up.Output);
                    result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, cancellationToken).ConfigureAwait(false);
                    if (result.UpstreamReusable) _pool.Return(endpoint, up);
                    else await up.DisposeAsync().ConfigureAwait(false);
                    if (result.StaleConnection && !fresh)
                    {
                        // A kept-alive connection closed under the request before anything came back: resend on a new one.
                        fresh = true;
                        continue;
                    }
                    if (result.FailedStage is null) target.Picker.ReportSuccess(endpoint);
                    break;
                }

                if (endpoint is not null && (!ReferenceEquals(labelsConfig, config) || !ReferenceEquals(labelsEndpoint, endpoint)))
                {
                    labels = metrics.Intern(OutboundLabels.For(config, target, endpoint, tcp: false));
                    labelsConfig = config; labelsEndpoint = endpoint;
                }
                else if (endpoint is null)
                {
                    labels = metrics.Intern(OutboundLabels.For(config, target, null, tcp: false));
                    labelsConfig = null;
                }

                if (connectError is not null || endpoint is null)
                {
                    var stage = connectError?.Stage ?? UpstreamStage.NoHealthyUpstream;
                    var (status, flags) = ErrorResponder.Map(stage, retried: tried is { Count: > 0 });
                    var message = connectError is null
                        ? $"meshwork: no healthy upstream: {target!.Service.Hostname}:{target.Port.Port} has no ready endpoint"
                        : Describe(connectError);
                    ProxyLog.OutboundFailed(logger, "-", _authority, stage, connectError?.Message ?? "no ready endpoint");
                    await Http1Relay.WriteLocalResponseAsync(downOut, status, message, close: true, cancellationToken).ConfigureAwait(false);
                    metrics.RecordRequest(labels, status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    return;
                }

                var finalStatus = result.Status;
                var finalFlags = ResponseFlags.None;
                if (result.FailedStage is { } failed)
                {
                    (var status, finalFlags) = ErrorResponder.Map(failed, retried: tried is { Count: > 0 });
                    if (failed != UpstreamStage.Downstream)
                    {
                        ProxyLog.OutboundFailed(logger, "-", _authority, failed, result.Error ?? "");
                        if (!result.ResponseStarted)
                        {
                            finalStatus = status;
                            await Http1Relay.WriteLocalResponseAsync(downOut, status, result.Error ?? "meshwork: upstream failure", close: result.DownstreamMustClose, cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                metrics.RecordRequest(labels, finalStatus, finalFlags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (result.DownstreamMustClose) return;
            }
        }
        catch (Exception e) when (e is RelayException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>Parses the request head and writes its upstream form into <paramref name="pending"/>; consumes the head.</summary>
    private static Http1Relay.RequestFrame Prepare(HttpInput downIn, int headLength, HttpOutput pending)
    {
        var head = HttpHead.ParseRequest(downIn.Span[..headLength]);
        // Open head: the peer metadata fields go in once the endpoint (and so its TLS mode) is known.
        var frame = Http1Relay.WriteRequestHead(head, pending, Http1Relay.OriginForm(head.Second), default, default, PeerPrefix, terminate: false);
        downIn.Consume(headLength);
        return frame;
    }

    private static readonly byte[] PeerPrefix = System.Text.Encoding.ASCII.GetBytes(PeerMetadata.Prefix);
    private sealed record PeerFieldsCache(ActiveConfig Config, byte[] Fields);
    private PeerFieldsCache? _peerFields;

    /// <summary>This workload's peer metadata fields (Istio's metadata exchange), built once per snapshot.</summary>
    private byte[] PeerFields(ActiveConfig config)
    {
        if (_peerFields is { } cached && ReferenceEquals(cached.Config, config)) return cached.Fields;
        var node = config.Snapshot.Node;
        var text = new System.Text.StringBuilder();
        text.Append(PeerMetadata.Workload).Append(": ").Append(node.Workload).Append("\r\n");
        if (node.App is { } app) text.Append(PeerMetadata.App).Append(": ").Append(app).Append("\r\n");
        if (node.Version is { } version) text.Append(PeerMetadata.Version).Append(": ").Append(version).Append("\r\n");
        var fields = System.Text.Encoding.ASCII.GetBytes(text.ToString());
        _peerFields = new PeerFieldsCache(config, fields);
        return fields;
    }

    internal static string Describe(UpstreamException error) => error.Stage switch
    {
        UpstreamStage.Tls => $"upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: {error.Message}",
        UpstreamStage.Connect => $"upstream connect error or disconnect/reset before headers. reset reason: connection failure: {error.Message}",
        _ => error.Message,
    };
}

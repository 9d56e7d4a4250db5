using System.Net.Sockets;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// A byte tunnel to one service port, through the same <see cref="UpstreamCall"/> (route, endpoint, mTLS or
/// plaintext as policy decided, secure naming, retry of refused connects) as HTTP requests: opened by
/// <c>CONNECT host:port</c> on the http_proxy listener (RFC 9110 §9.3.6), or by a captured TCP connection whose
/// original destination named the service (Istio's TCP proxy on the outbound listener).
/// </summary>
internal sealed class ConnectTunnel(UpstreamCall call, ProxyState state, ProxyMetrics metrics, ILogger logger)
{
    private static readonly byte[] Established = "HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray();

    /// <summary>Runs the tunnel until either side ends it; the CONNECT head is consumed from <paramref name="downIn"/>.</summary>
    public async Task RunAsync(Socket socket, Stream client, HttpInput downIn, HttpOutput downOut, RequestDestination destination, ActiveConfig? config)
    {
        var authority = $"{destination.Host}:{destination.Port}";
        config ??= state.Config;
        if (config is null)
        {
            await Http1Relay.WriteLocalResponseAsync(downOut, 503, "meshwork: the proxy has no configuration yet", close: true, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        if (!UpstreamCall.TryRouteTcp(config, destination.Host, destination.Port, out var target, out var routeError))
        {
            ProxyLog.OutboundFailed(logger, "CONNECT", authority, UpstreamStage.NoRoute, routeError!);
            var noRoute = UpstreamCall.Fail(UpstreamStage.NoRoute, false, routeError!, authority: authority);
            metrics.OpenTcp(call.TcpLabels(config, null, null)).Close(noRoute.Flags);
            await Http1Relay.WriteLocalResponseAsync(downOut, noRoute.Status, noRoute.Body, close: true, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        await TunnelAsync(socket, client, config, target!, null, UpstreamUse.Tcp, "CONNECT", (downIn, downOut)).ConfigureAwait(false);
    }

    /// <summary>
    /// A captured connection to a service port (its clusterIP), or to <paramref name="pinned"/> when the client dialled
    /// that endpoint itself: no answer is written first, and a failure to connect resets the client, as Envoy's TCP
    /// proxy does, since the client asked for a connection, not for an HTTP response.
    /// A connection to a service port goes where the service's tcp routes send it.
    /// </summary>
    public Task RunCapturedAsync(Socket socket, Stream client, ActiveConfig config, RouteTarget target, UpstreamEndpoint? pinned)
    {
        var to = target;
        if (pinned is null)
        {
            if (!UpstreamCall.TryRouteTcp(config, target.Service.Hostname, target.Port.Port, out var routed, out var error))
            {
                ProxyLog.OutboundFailed(logger, "TCP", target.Authority, UpstreamStage.NoRoute, error!);
                metrics.OpenTcp(call.TcpLabels(config, null, null)).Close(UpstreamCall.Fail(UpstreamStage.NoRoute, false, error!).Flags);
                ConnectionReset.Reset(socket);
                return Task.CompletedTask;
            }
            to = routed!;
        }
        return TunnelAsync(socket, client, config, to, pinned, to.Port.Protocol == "tcp" ? UpstreamUse.Tcp : UpstreamUse.Http1, "TCP", null);
    }

    private async Task TunnelAsync(Socket socket, Stream client, ActiveConfig config, RouteTarget target, UpstreamEndpoint? pinned, UpstreamUse use, string entry,
        (HttpInput In, HttpOutput Out)? connectRequest)
    {
        var authority = target.Authority;
        // A pinned endpoint is the one the client chose: no other endpoint stands in for it.
        var connect = await call.ConnectAsync(target, pinned, use, retryable: pinned is null, CancellationToken.None, pinned is null ? UpstreamCall.MaxAttempts : 1).ConfigureAwait(false);
        var recorder = metrics.OpenTcp(call.TcpLabels(config, target, connect.Endpoint));
        if (!connect.Connected)
        {
            var stage = connect.Failure?.Stage ?? UpstreamStage.NoHealthyUpstream;
            var failure = UpstreamCall.Fail(stage, connect.Retried, connect.Failure?.Message ?? "", target);
            ProxyLog.OutboundFailed(logger, entry, authority, stage, connect.Failure?.Message ?? "no ready endpoint");
            recorder.Close(failure.Flags);
            if (connectRequest is { } answer)
                await Http1Relay.WriteLocalResponseAsync(answer.Out, failure.Status, failure.Body, close: true, CancellationToken.None).ConfigureAwait(false);
            else ConnectionReset.Reset(socket);
            return;
        }
        target.Picker.ReportSuccess(connect.Endpoint!);
        ProxyLog.TunnelEstablished(logger, authority, $"{connect.Endpoint!.Address}:{connect.Endpoint.Port}");
        var upstream = connect.Stream!;
        await using (upstream.ConfigureAwait(false))
        {
            RelayEnd end;
            try
            {
                if (connectRequest is var (downIn, downOut))
                {
                    downOut.Append(Established);
                    await downOut.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    // Bytes the client sent after the CONNECT head, before the answer, belong to the tunnel.
                    if (downIn.Buffered > 0)
                    {
                        await upstream.WriteAsync(downIn.Span.ToArray()).ConfigureAwait(false);
                        downIn.Consume(downIn.Buffered);
                    }
                }
                end = await TcpRelay.RunAsync(client, upstream, recorder, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or RelayException or ObjectDisposedException)
            {
                end = RelayEnd.DownstreamReset;
            }
            ProxyLog.RelayEnded(logger, "outbound", target.Port.Port, end, recorder.Received, recorder.Sent);
            recorder.Close(end == RelayEnd.UpstreamReset ? ResponseFlags.UpstreamConnectionTermination : ResponseFlags.None);
            EndClient(socket, end);
        }
    }

    /// <summary>An upstream reset becomes a client reset; otherwise the client sees a clean end of stream.</summary>
    internal static void EndClient(Socket socket, RelayEnd end)
    {
        if (end == RelayEnd.UpstreamReset) ConnectionReset.Reset(socket);
        else
        {
            try { socket.Shutdown(SocketShutdown.Send); }
            catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        }
    }
}

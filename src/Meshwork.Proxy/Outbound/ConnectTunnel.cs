using System.Net.Sockets;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// <c>CONNECT host:port</c> on the http_proxy listener (RFC 9110 §9.3.6): the connection becomes a byte
/// tunnel to that service port, through the same <see cref="UpstreamCall"/> (route, endpoint, mTLS or
/// plaintext as policy decided, secure naming, retry of refused connects) as HTTP requests.
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
        if (!UpstreamCall.TryRoute(config, destination.Host, destination.Port, out var target, out var routeError))
        {
            ProxyLog.OutboundFailed(logger, "CONNECT", authority, UpstreamStage.NoRoute, routeError!);
            var noRoute = UpstreamCall.Fail(UpstreamStage.NoRoute, false, routeError!, authority: authority);
            metrics.OpenTcp(call.TcpLabels(config, null, null)).Close(noRoute.Flags);
            await Http1Relay.WriteLocalResponseAsync(downOut, noRoute.Status, noRoute.Body, close: true, CancellationToken.None).ConfigureAwait(false);
            return;
        }

        var connect = await call.ConnectAsync(target!, null, UpstreamUse.Tcp, retryable: true, CancellationToken.None).ConfigureAwait(false);
        var recorder = metrics.OpenTcp(call.TcpLabels(config, target, connect.Endpoint));
        if (!connect.Connected)
        {
            var stage = connect.Failure?.Stage ?? UpstreamStage.NoHealthyUpstream;
            var failure = UpstreamCall.Fail(stage, connect.Retried, connect.Failure?.Message ?? "", target);
            ProxyLog.OutboundFailed(logger, "CONNECT", authority, stage, connect.Failure?.Message ?? "no ready endpoint");
            recorder.Close(failure.Flags);
            await Http1Relay.WriteLocalResponseAsync(downOut, failure.Status, failure.Body, close: true, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        target!.Picker.ReportSuccess(connect.Endpoint!);
        ProxyLog.TunnelEstablished(logger, authority, $"{connect.Endpoint!.Address}:{connect.Endpoint.Port}");
        var upstream = connect.Stream!;
        await using (upstream.ConfigureAwait(false))
        {
            RelayEnd end;
            try
            {
                downOut.Append(Established);
                await downOut.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                // Bytes the client sent after the CONNECT head, before the answer, belong to the tunnel.
                if (downIn.Buffered > 0)
                {
                    await upstream.WriteAsync(downIn.Span.ToArray()).ConfigureAwait(false);
                    downIn.Consume(downIn.Buffered);
                }
                end = await TcpRelay.RunAsync(client, upstream, recorder, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or RelayException or ObjectDisposedException)
            {
                end = RelayEnd.DownstreamReset;
            }
            ProxyLog.RelayEnded(logger, "outbound", destination.Port, end, recorder.Received, recorder.Sent);
            recorder.Close(end == RelayEnd.UpstreamReset ? ResponseFlags.UpstreamConnectionTermination : ResponseFlags.None);
            if (end == RelayEnd.UpstreamReset) ConnectionReset.Reset(socket);
            else
            {
                try { socket.Shutdown(SocketShutdown.Send); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            }
        }
    }
}

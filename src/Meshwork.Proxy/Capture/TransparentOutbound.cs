using System.Net.Sockets;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Outbound;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// The outbound listener in capture mode (Istio's virtualOutbound on 15001): a connection whose original destination
/// is the listener itself is the app's http_proxy request, as in loopback mode; any other was redirected by iptables,
/// and its original destination picks the way. A Service clusterIP:port is that service port, whatever the Host
/// says: HTTP/1.1 (sniffed unless the port is opaque) makes the one outbound call per request, as a fixed listener
/// does; anything else is a TCP tunnel to an endpoint, mTLS or plaintext as policy decided. A pod dialled directly is
/// a tunnel to that endpoint. Anything else is the PassthroughCluster, or under REGISTRY_ONLY the BlackHoleCluster.
/// </summary>
internal sealed class TransparentOutbound(
    OutboundHttp1Relay http, ConnectTunnel tunnel, PassthroughRelay passthrough, BlackHole blackHole, ProxyState state, TimeSpan sniffTimeout, ILogger logger)
{
    public async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        if (!OriginalDestination.TryRead(socket, out var destination) || Ipv4EndPoint.Matches(destination, socket.LocalEndPoint))
        {
            // Not redirected: the app called the listener itself (http_proxy, CONNECT).
            await http.ServeAsync(socket, null, stopping).ConfigureAwait(false);
            return;
        }
        var config = state.Config;
        if (config is null)
        {
            ProxyLog.CaptureRefused(logger, "outbound", socket.RemoteEndPoint, "no configuration snapshot yet");
            ConnectionReset.Reset(socket);
            return;
        }
        var captured = config.Capture.Resolve(destination);
        if (captured.Target is not { } target)
        {
            await UnlistedAsync(socket, config, destination, stopping).ConfigureAwait(false);
            return;
        }
        ProxyLog.OutboundCaptured(logger, socket.RemoteEndPoint, destination, target.Service.Hostname, target.Port.Port);
        if (captured.Pinned is null && target.Port.Protocol != "tcp"
            && await Http1Sniffer.OpensWithHttp1Async(socket, sniffTimeout, stopping).ConfigureAwait(false))
        {
            await http.ServeAsync(socket, new RequestDestination(target.Service.Hostname, target.Port.Port, FromTarget: false), stopping).ConfigureAwait(false);
            return;
        }
        await using var client = new NetworkStream(socket, ownsSocket: false);
        await tunnel.RunCapturedAsync(socket, client, config, target, captured.Pinned).ConfigureAwait(false);
    }

    /// <summary>A destination that is no mesh service: passed through (ALLOW_ANY), or refused (REGISTRY_ONLY).</summary>
    private async Task UnlistedAsync(Socket socket, ActiveConfig config, Ipv4EndPoint destination, CancellationToken stopping)
    {
        if (!BlackHole.Applies(config))
        {
            ProxyLog.OutboundCaptured(logger, socket.RemoteEndPoint, destination, PassthroughRelay.ClusterName, destination.Port);
            await passthrough.RunAsync(socket, config, destination).ConfigureAwait(false);
            return;
        }
        ProxyLog.OutboundCaptured(logger, socket.RemoteEndPoint, destination, BlackHole.ClusterName, destination.Port);
        if (await Http1Sniffer.OpensWithHttp1Async(socket, sniffTimeout, stopping).ConfigureAwait(false))
        {
            // The request's outbound call finds no route to the address and answers 502, counted as the BlackHoleCluster.
            await http.ServeAsync(socket, new RequestDestination(destination.ToAddress().ToString(), destination.Port, FromTarget: false), stopping).ConfigureAwait(false);
            return;
        }
        blackHole.RefuseTcp(socket, config);
    }
}

using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Outbound;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Gateway;

/// <summary>
/// The gateway role's listeners: one per configured Gateway port, each on the proxy's own sockets and served by
/// the one outbound relay in gateway mode (routing by Host through the Gateway's servers and VirtualServices).
/// Whether a port is HTTPS is read from the configuration when a connection arrives, so a Gateway that turns a
/// port into HTTPS (or back) takes effect without rebinding.
/// </summary>
internal static class GatewayListeners
{
    public static IEnumerable<(IPEndPoint Listen, Func<Socket, CancellationToken, Task> Serve)> For(ProxyOptions options, OutboundHttp1Relay relay, ProxyState state, ILogger logger)
    {
        if (options.Role != ProxyRole.Gateway) yield break;
        var terminator = new GatewayTlsTerminator(state, logger);
        foreach (var gateway in options.GatewayPorts)
        {
            var port = gateway.Port;
            yield return (gateway.Listen, (socket, stopping) => ServeAsync(socket, port, relay, state, terminator, stopping));
        }
    }

    private static async Task ServeAsync(Socket socket, int port, OutboundHttp1Relay relay, ProxyState state, GatewayTlsTerminator terminator, CancellationToken stopping)
    {
        if (state.Config?.GatewayRoutes.IsTls(port) != true)
        {
            await relay.ServeAsync(socket, null, stopping, port).ConfigureAwait(false);
            return;
        }
        if (await terminator.HandshakeAsync(socket, port, stopping).ConfigureAwait(false) is not { } tls) return;
        await using (tls.ConfigureAwait(false)) await relay.ServeGatewayTlsAsync(socket, tls, port, stopping).ConfigureAwait(false);
    }
}

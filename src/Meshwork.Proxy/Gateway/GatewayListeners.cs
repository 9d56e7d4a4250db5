using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Outbound;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Gateway;

/// <summary>
/// The gateway role's listeners: one per configured Gateway port, each on the proxy's own sockets and served by
/// the one outbound relay in gateway mode (routing by Host through the Gateway's servers and VirtualServices).
/// </summary>
internal static class GatewayListeners
{
    public static IEnumerable<(IPEndPoint Listen, Func<Socket, CancellationToken, Task> Serve)> For(ProxyOptions options, OutboundHttp1Relay relay)
    {
        if (options.Role != ProxyRole.Gateway) yield break;
        foreach (var gateway in options.GatewayPorts)
        {
            var port = gateway.Port;
            yield return (gateway.Listen, (socket, stopping) => relay.ServeAsync(socket, null, stopping, port));
        }
    }
}

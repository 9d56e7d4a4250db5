using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// The inbound capture listener (Istio's virtualInbound on 15006): iptables redirects every inbound TCP connection of
/// the pod here, and the original destination port picks the pipeline. A declared workload port runs its own
/// <see cref="Inbound.InboundPipeline"/> (sniff, mTLS by mode, HTTP or TCP relay); any other port is a passthrough to
/// the app on 127.0.0.1 at that port, under the workload-level mode, so STRICT refuses plaintext on every port.
/// A connection that was not redirected (or names this listener) is refused: it has no destination to go to; so is
/// one to a port of the proxy's own (admin, outbound, capture): those serve the pod alone, never its peers.
/// </summary>
internal sealed class InboundCapture(
    FrozenDictionary<int, Func<Socket, CancellationToken, Task>> declared,
    FrozenSet<int> proxyPorts,
    Func<InboundTarget, Func<Socket, CancellationToken, Task>> passthroughFor,
    ILogger logger)
{
    /// <summary>Passthrough pipelines by port, made on first use (at most one per port number).</summary>
    private readonly ConcurrentDictionary<int, Func<Socket, CancellationToken, Task>> _passthrough = new();

    public Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        if (!OriginalDestination.TryRead(socket, out var destination) || Ipv4EndPoint.Matches(destination, socket.LocalEndPoint))
        {
            ProxyLog.CaptureRefused(logger, "inbound", (socket.RemoteEndPoint as IPEndPoint)?.ToString(), "not redirected by capture: no original destination");
            ConnectionReset.Reset(socket);
            return Task.CompletedTask;
        }
        if (declared.TryGetValue(destination.Port, out var pipeline)) return pipeline(socket, stopping);
        if (proxyPorts.Contains(destination.Port))
        {
            ProxyLog.CaptureRefused(logger, "inbound", (socket.RemoteEndPoint as IPEndPoint)?.ToString(), $"port {destination.Port} is the proxy's own, reachable from inside the pod only");
            ConnectionReset.Reset(socket);
            return Task.CompletedTask;
        }
        var passthrough = _passthrough.GetOrAdd(destination.Port, static (port, make) => make(new InboundTarget(port, "127.0.0.1", port)), passthroughFor);
        return passthrough(socket, stopping);
    }
}

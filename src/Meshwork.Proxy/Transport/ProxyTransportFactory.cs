using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Transport;

/// <summary>Kestrel's transport: sockets for real addresses (the admin listener), hand-off listeners for <see cref="HandoffEndPoint"/>s.</summary>
internal sealed class ProxyTransportFactory(IConnectionListenerFactory sockets) : IConnectionListenerFactory
{
    private readonly ConcurrentDictionary<string, HandoffListener> _handoffs = new();

    /// <summary>The listener Kestrel bound for <paramref name="endPoint"/> (made on first use, so the proxy can hold it before Kestrel starts).</summary>
    public HandoffListener Handoff(HandoffEndPoint endPoint) => _handoffs.GetOrAdd(endPoint.Name, _ => new HandoffListener(endPoint));

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        endpoint is HandoffEndPoint handoff
            ? ValueTask.FromResult<IConnectionListener>(Handoff(handoff))
            : sockets.BindAsync(endpoint, cancellationToken);
}

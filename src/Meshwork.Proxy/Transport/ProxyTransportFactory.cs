using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Meshwork.Proxy.Transport;

/// <summary>Kestrel's transport: the one hand-off listener, through which the proxy gives Kestrel its HTTP/2 connections. Kestrel binds no socket.</summary>
internal sealed class ProxyTransportFactory(HandoffListener handoff) : IConnectionListenerFactory
{
    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        endpoint is HandoffEndPoint named && named.Name == ((HandoffEndPoint)handoff.EndPoint).Name
            ? ValueTask.FromResult<IConnectionListener>(handoff)
            : throw new InvalidOperationException($"the proxy's Kestrel binds only {handoff.EndPoint}, not {endpoint}");
}

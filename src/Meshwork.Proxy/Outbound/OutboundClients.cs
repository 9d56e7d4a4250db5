using System.Collections.Concurrent;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// One HttpMessageInvoker per upstream cluster (service port), reused while the cluster's config is
/// unchanged, as YARP's ForwarderHttpClientFactory does. Its pool is keyed by endpoint address; the
/// connect callback dials the endpoint and originates TLS per the endpoint's mode.
/// </summary>
internal sealed class OutboundClients(UpstreamConnector connector, TimeSpan connectTimeout)
{
    private readonly ConcurrentDictionary<(string Host, int Port), (OutboundPort Config, HttpMessageInvoker Invoker)> _clients = new();

    public HttpMessageInvoker For(RouteTarget target)
    {
        var key = (target.Service.Hostname, target.Port.Port);
        if (_clients.TryGetValue(key, out var existing) && SameCluster(existing.Config, target.Port))
            return existing.Invoker;
        var created = Create(target);
        var stored = _clients.AddOrUpdate(key, created, (_, old) =>
        {
            if (SameCluster(old.Config, target.Port)) { created.Invoker.Dispose(); return old; }
            // The old invoker is left to finish its requests; pooled connections close when idle.
            return created;
        });
        return stored.Invoker;
    }

    private (OutboundPort Config, HttpMessageInvoker Invoker) Create(RouteTarget target)
    {
        var service = target.Service;
        var port = target.Port;
        var invoker = HttpForwarder.CreateInvoker(async (context, cancellationToken) =>
        {
            var endpoint = Find(port, context.DnsEndPoint.Host, context.DnsEndPoint.Port)
                ?? throw new UpstreamException(UpstreamStage.NoHealthyUpstream, $"endpoint {context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} is no longer part of {service.Hostname}:{port.Port}");
            return await connector.ConnectAsync(service, port, endpoint, http: true, cancellationToken).ConfigureAwait(false);
        }, connectTimeout);
        return (port, invoker);
    }

    /// <summary>Structural equality: snapshots are deserialized afresh, so array references differ even when nothing changed.</summary>
    internal static bool SameCluster(OutboundPort a, OutboundPort b) =>
        ReferenceEquals(a, b)
        || (a.Port == b.Port && a.Protocol == b.Protocol && a.Sni == b.Sni
            && a.Endpoints.AsSpan().SequenceEqual(b.Endpoints.AsSpan())
            && a.AcceptedIdentities.AsSpan().SequenceEqual(b.AcceptedIdentities.AsSpan()));

    private static UpstreamEndpoint? Find(OutboundPort port, string host, int portNumber)
    {
        foreach (var e in port.Endpoints)
            if (e.Port == portNumber && string.Equals(e.Address, host, StringComparison.OrdinalIgnoreCase)) return e;
        return null;
    }
}

using System.Collections.Concurrent;
using System.Net;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Http2;

/// <summary>
/// Clients for <see cref="Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.UpstreamHttp2"/>: requests to
/// istio-mTLS endpoints go as HTTP/2, all of them multiplexed on one connection per endpoint (the handler's
/// pool is keyed by endpoint address; EnableMultipleHttp2Connections is off), dialled by <see cref="UpstreamConnector"/>
/// with ALPN h2 (the mesh's mTLS and secure naming). Requests name the endpoint with "http": the TLS is the mesh's,
/// as it is for HTTP/1.1. Other endpoints (plaintext, SIMPLE TLS) get HTTP/1.1 from the same handler.
/// One handler per service port, remade when the port's endpoints or identities change (as <see cref="OutboundClients"/>).
/// </summary>
internal sealed class Http2Upstreams(UpstreamConnector connector, TimeSpan connectTimeout)
{
    private static readonly HttpRequestOptionsKey<Route> RouteKey = new("meshwork.route");
    private readonly ConcurrentDictionary<(string Host, int Port), (OutboundPort Config, HttpMessageInvoker Invoker)> _clients = new();

    private sealed record Route(OutboundService Service, OutboundPort Port, UpstreamEndpoint Endpoint);

    /// <summary>Whether a request to this endpoint goes as HTTP/2: only to mesh sidecars (istio mTLS), which serve h2.</summary>
    public static bool UsesHttp2(UpstreamEndpoint endpoint) => endpoint.Tls == UpstreamTlsMode.IstioMutual;

    public HttpMessageInvoker For(RouteTarget target)
    {
        var key = (target.Service.Hostname, target.Port.Port);
        if (_clients.TryGetValue(key, out var existing) && SameCluster(existing.Config, target.Port))
            return existing.Invoker;
        var created = (target.Port, Create());
        var stored = _clients.AddOrUpdate(key, created, (_, old) =>
        {
            if (SameCluster(old.Config, target.Port)) { created.Item2.Dispose(); return old; }
            return created;   // the old one finishes its streams; its connections close when idle
        });
        return stored.Invoker;
    }

    /// <summary>Structural equality: snapshots are deserialized afresh, so array references differ even when nothing changed.</summary>
    internal static bool SameCluster(OutboundPort a, OutboundPort b) =>
        ReferenceEquals(a, b)
        || (a.Port == b.Port && a.Protocol == b.Protocol && a.Sni == b.Sni
            && a.Endpoints.AsSpan().SequenceEqual(b.Endpoints.AsSpan())
            && a.AcceptedIdentities.AsSpan().SequenceEqual(b.AcceptedIdentities.AsSpan()));

    /// <summary>A request for <paramref name="endpoint"/>: HTTP/2 with prior knowledge to mesh sidecars, HTTP/1.1 otherwise.</summary>
    public static HttpRequestMessage CreateRequest(HttpMethod method, RouteTarget target, UpstreamEndpoint endpoint, string pathAndQuery)
    {
        var address = endpoint.Address.Contains(':') ? $"[{endpoint.Address}]" : endpoint.Address;
        var message = new HttpRequestMessage(method, new Uri($"http://{address}:{endpoint.Port}{pathAndQuery}"));
        if (UsesHttp2(endpoint))
        {
            message.Version = HttpVersion.Version20;
            message.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
        else
        {
            message.Version = HttpVersion.Version11;
            message.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        }
        message.Options.Set(RouteKey, new Route(target.Service, target.Port, endpoint));
        return message;
    }

    private HttpMessageInvoker Create()
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            // One h2 connection per endpoint: every request to it is a stream on that connection.
            EnableMultipleHttp2Connections = false,
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ActivityHeadersPropagator = null,
            MaxConnectionsPerServer = int.MaxValue,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var request = context.InitialRequestMessage;
                if (!request.Options.TryGetValue(RouteKey, out var route))
                    throw new UpstreamException(UpstreamStage.NoHealthyUpstream, $"no endpoint for {context.DnsEndPoint}");
                return request.Version == HttpVersion.Version20
                    ? await connector.ConnectHttp2Async(route.Service, route.Port, route.Endpoint, cancellationToken).ConfigureAwait(false)
                    : await connector.ConnectAsync(route.Service, route.Port, route.Endpoint, http: true, cancellationToken).ConfigureAwait(false);
            },
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}

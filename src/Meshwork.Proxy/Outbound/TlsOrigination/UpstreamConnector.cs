using System.Collections.Frozen;
using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Transport.Loop;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.TlsOrigination;

/// <summary>
/// Opens a connection to one upstream endpoint and, per the endpoint's TLS mode, originates mTLS
/// with the workload certificate and checks the server's SPIFFE ID against the port's accepted
/// identities (secure naming). Failures carry the stage and a reason a user can act on.
/// </summary>
internal sealed class UpstreamConnector(ProxyState state, ProxyMetrics metrics, TimeSpan connectTimeout, TimeSpan handshakeTimeout, IPAddress? sourceAddress = null)
{
    public ValueTask<Stream> ConnectAsync(OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, bool http, CancellationToken cancellationToken) =>
        ConnectAsync(service, port, endpoint, http ? ClientAlpn.Http1 : ClientAlpn.Tcp, cancellationToken);

    /// <summary>A connection for HTTP/2 with prior knowledge: over mTLS it negotiated ALPN h2 (plaintext endpoints get h2c).</summary>
    public ValueTask<Stream> ConnectHttp2Async(OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, CancellationToken cancellationToken) =>
        ConnectAsync(service, port, endpoint, ClientAlpn.Http2, cancellationToken);

    private async ValueTask<Stream> ConnectAsync(OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, ClientAlpn alpn, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (IPAddress.TryParse(endpoint.Address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.Dispose();
            socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        }
        Stream network;
        try
        {
            // Leave from the pod's own address, so the server sees (and authorizes) the pod IP as the source.
            if (sourceAddress is not null && ip is not null && sourceAddress.AddressFamily == socket.AddressFamily
                && !sourceAddress.Equals(IPAddress.Any) && !sourceAddress.Equals(IPAddress.IPv6Any)
                && IPAddress.IsLoopback(sourceAddress) == IPAddress.IsLoopback(ip))
            {
                try { socket.Bind(new IPEndPoint(sourceAddress, 0)); }
                catch (SocketException) { /* not an address of this host: let the kernel choose */ }
            }
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(connectTimeout);
            network = await LoopStream.ConnectAsync(socket, new IPEndPoint(ip ?? IPAddress.Loopback, endpoint.Port), cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            var why = e is SocketException se ? se.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.TimedOut => "connect timed out",
                _ => se.Message,
            } : "connect timed out";
            throw new UpstreamException(UpstreamStage.Connect, $"cannot connect to {endpoint.Address}:{endpoint.Port} for {service.Hostname}:{port.Port}: {why}", e);
        }

        if (endpoint.Tls == UpstreamTlsMode.Disable || state.Config is { Snapshot.Node.Role: ProxyRole.Network })
            return network;

        return await OriginateTlsAsync(network, service, port, endpoint, alpn, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<Stream> OriginateTlsAsync(Stream network, OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, ClientAlpn alpn, CancellationToken cancellationToken)
    {
        var tls = state.Tls;
        var mutual = endpoint.Tls is UpstreamTlsMode.IstioMutual or UpstreamTlsMode.Mutual;
        if (tls is null || (mutual && tls.Credentials is null))
        {
            await network.DisposeAsync().ConfigureAwait(false);
            metrics.RecordOutboundHandshake(service.Hostname, port.Port, HandshakeFailure.NoLocalCertificate);
            throw new UpstreamException(UpstreamStage.Tls, "this proxy has no workload certificate yet, so it cannot originate mTLS", tlsFailure: HandshakeFailure.NoLocalCertificate);
        }
        // Secure naming: ISTIO_MUTUAL always checks the server's identity (an empty list accepts none);
        // other modes check it when the port names identities.
        var accepted = port.AcceptedIdentities.IsDefaultOrEmpty ? FrozenSet<string>.Empty : port.AcceptedIdentities.ToFrozenSet(StringComparer.Ordinal);
        var expected = endpoint.Tls == UpstreamTlsMode.IstioMutual || accepted.Count > 0 ? accepted : null;
        var handshake = await MeshTlsClient.HandshakeAsync(network, tls, port.Sni ?? $"outbound_.{port.Port}_._.{service.Hostname}", alpn, mutual,
            expected, handshakeTimeout, cancellationToken).ConfigureAwait(false);
        if (handshake is ClientHandshake.Established established)
        {
            metrics.RecordOutboundHandshake(service.Hostname, port.Port, null);
            return established.Stream;
        }
        var failed = (ClientHandshake.Failed)handshake;
        metrics.RecordOutboundHandshake(service.Hostname, port.Port, failed.Reason);
        var reason = failed.Reason switch
        {
            HandshakeFailure.IdentityMismatch => $"secure naming: {failed.Detail} expected for {service.Hostname}:{port.Port}",
            HandshakeFailure.AlpnMismatch => $"{endpoint.Address}:{endpoint.Port} did not negotiate h2 ({failed.Detail}): its sidecar does not serve HTTP/2; unset {Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.UpstreamHttp2} on this one",
            HandshakeFailure.TransportClosed => $"the server closed or reset the connection during the TLS handshake: {endpoint.Address}:{endpoint.Port} probably does not accept mTLS (no sidecar, or mTLS DISABLE on that port)",
            HandshakeFailure.Timeout or HandshakeFailure.ProtocolError => failed.Detail,
            _ => $"the server certificate was rejected: {failed.Detail}",
        };
        throw new UpstreamException(UpstreamStage.Tls, reason, failed.Error, failed.Reason);
    }
}

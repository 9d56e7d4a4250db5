using System.Collections.Frozen;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.TlsOrigination;

/// <summary>
/// Opens a connection to one upstream endpoint and, per the endpoint's TLS mode, originates mTLS
/// with the workload certificate and checks the server's SPIFFE ID against the port's accepted
/// identities (secure naming). Failures carry the stage and a reason a user can act on.
/// </summary>
internal sealed class UpstreamConnector(ProxyState state, ProxyMetrics metrics, TimeSpan connectTimeout, TimeSpan handshakeTimeout, IPAddress? sourceAddress = null)
{
    private static readonly List<SslApplicationProtocol> HttpAlpn = [new("istio-http/1.1"), new("istio"), SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> TcpAlpn = [new("istio-peer-exchange"), new("istio")];
    /// <summary>h2 only: the caller speaks HTTP/2 with prior knowledge on what this returns, so anything else must fail the handshake's check.</summary>
    private static readonly List<SslApplicationProtocol> Http2Alpn = [SslApplicationProtocol.Http2];

    private enum Alpn { Tcp, Http1, Http2 }

    public ValueTask<Stream> ConnectAsync(OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, bool http, CancellationToken cancellationToken) =>
        ConnectAsync(service, port, endpoint, http ? Alpn.Http1 : Alpn.Tcp, cancellationToken);

    /// <summary>A connection for HTTP/2 with prior knowledge: over mTLS it negotiated ALPN h2 (plaintext endpoints get h2c).</summary>
    public ValueTask<Stream> ConnectHttp2Async(OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, CancellationToken cancellationToken) =>
        ConnectAsync(service, port, endpoint, Alpn.Http2, cancellationToken);

    private async ValueTask<Stream> ConnectAsync(OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, Alpn alpn, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (IPAddress.TryParse(endpoint.Address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            socket.Dispose();
            socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        }
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
            await socket.ConnectAsync(new IPEndPoint(ip ?? IPAddress.Loopback, endpoint.Port), cts.Token).ConfigureAwait(false);
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

        var network = new NetworkStream(socket, ownsSocket: true);
        if (endpoint.Tls == UpstreamTlsMode.Disable || state.Config is { Snapshot.Node.Role: ProxyRole.Network })
            return network;

        return await OriginateTlsAsync(network, service, port, endpoint, alpn, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<Stream> OriginateTlsAsync(NetworkStream network, OutboundService service, OutboundPort port, UpstreamEndpoint endpoint, Alpn alpn, CancellationToken cancellationToken)
    {
        var credentials = state.Credentials;
        var config = state.Config;
        var bundle = ProxyState.TrustBundleOf(config, credentials);
        var mutual = endpoint.Tls is UpstreamTlsMode.IstioMutual or UpstreamTlsMode.Mutual;
        if (bundle is null || (mutual && credentials is null))
        {
            await network.DisposeAsync().ConfigureAwait(false);
            metrics.RecordHandshake("outbound", false, "no_certificate");
            throw new UpstreamException(UpstreamStage.Tls, "this proxy has no workload certificate yet, so it cannot originate mTLS");
        }
        var accepted = port.AcceptedIdentities.IsDefaultOrEmpty ? FrozenSet<string>.Empty : port.AcceptedIdentities.ToFrozenSet(StringComparer.Ordinal);
        string? failure = null;
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = port.Sni ?? $"outbound_.{port.Port}_._.{service.Hostname}",
            ClientCertificateContext = mutual ? credentials!.CertificateContext : null,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            AllowTlsResume = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = alpn switch { Alpn.Http1 => HttpAlpn, Alpn.Http2 => Http2Alpn, _ => TcpAlpn },
            CertificateChainPolicy = InboundTlsTerminator.CreateChainPolicy(bundle),
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (certificate is null) { failure = "the server presented no certificate"; return false; }
                var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
                if (!bundle.Verify(leaf, InboundTlsTerminator.PeerIntermediates(leaf, chain), state.Time.GetUtcNow(), out var error))
                {
                    failure = $"the server certificate was rejected: {error}";
                    return false;
                }
                if (endpoint.Tls == UpstreamTlsMode.IstioMutual || accepted.Count > 0)
                {
                    var id = CertificateIdentity.GetSpiffeUri(leaf);
                    if (id is null || !accepted.Contains(id))
                    {
                        failure = $"secure naming: the server identity {id ?? "(none)"} is not one of [{string.Join(", ", port.AcceptedIdentities.IsDefault ? [] : port.AcceptedIdentities)}] expected for {service.Hostname}:{port.Port}";
                        return false;
                    }
                }
                return true;
            },
        };
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(handshakeTimeout);
            await ssl.AuthenticateAsClientAsync(options, cts.Token).ConfigureAwait(false);
            if (alpn == Alpn.Http2 && ssl.NegotiatedApplicationProtocol != SslApplicationProtocol.Http2)
            {
                await ssl.DisposeAsync().ConfigureAwait(false);
                metrics.RecordHandshake("outbound", false, "alpn");
                throw new UpstreamException(UpstreamStage.Tls, $"{endpoint.Address}:{endpoint.Port} did not negotiate h2 (ALPN '{ssl.NegotiatedApplicationProtocol}'): its sidecar does not serve HTTP/2; unset {Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.UpstreamHttp2} on this one");
            }
            metrics.RecordHandshake("outbound", true, "ok");
            return ssl;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            string reason;
            string metricReason;
            if (failure is not null) { reason = failure; metricReason = failure.StartsWith("secure naming", StringComparison.Ordinal) ? "secure_naming" : "bad_certificate"; }
            else if (e is OperationCanceledException) { reason = "the TLS handshake timed out"; metricReason = "timeout"; }
            else if (e is IOException || e.InnerException is IOException or SocketException)
            {
                reason = $"the server closed or reset the connection during the TLS handshake: {endpoint.Address}:{endpoint.Port} probably does not accept mTLS (no sidecar, or mTLS DISABLE on that port)";
                metricReason = "peer_closed";
            }
            else { reason = $"the TLS handshake failed: {e.Message}"; metricReason = "handshake_error"; }
            metrics.RecordHandshake("outbound", false, metricReason);
            throw new UpstreamException(UpstreamStage.Tls, reason, e);
        }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Forwarding;
using Meshwork.Proxy.Inbound.Gate;
using Meshwork.Proxy.Inbound.Protection;
using Meshwork.Proxy.Inbound.Sniffing;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Transport;
using Meshwork.Proxy.Transport.Loop;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound;

/// <summary>
/// The inbound pipeline of one workload port, on the proxy's own socket, read top to bottom:
/// accept → sniff the first bytes (TLS or plaintext) → TLS by the port's mode (STRICT: a client certificate
/// chaining to the mesh roots, anything else reset; PERMISSIVE: both; DISABLE: plaintext), the outcome a value
/// → protocol → the HTTP/1.1 relay (through the one request gate), Kestrel's HTTP/2 stage (h2 over mTLS, or h2c,
/// handed over with the outcome as features), or the TCP relay (connection-level authorization).
/// Until its first request, a connection holds one of the port's pending slots (<see cref="ConnectionLimits.MaxPending"/>):
/// past them, new connections are reset at once.
/// </summary>
/// <remarks>
/// <paramref name="passthrough"/>: a captured port the snapshot does not declare (Istio's InboundPassthrough chains):
/// the snapshot's <see cref="ProxySnapshot.InboundPassthrough"/> (the workload-level mode, TCP) stands for the port.
/// </remarks>
internal sealed class InboundPipeline(
    InboundTarget target, ProxyState state, InboundRequestGate gate, Http2Stage http2, ProxyMetrics metrics, ProxyOptions options,
    DownstreamRefusals refusals, ILogger logger, bool passthrough = false)
{
    private readonly InboundHttp1Relay _http1 = new(target, gate, metrics, refusals, options.Limits, logger);
    private readonly InboundTcpRelay _tcp = new(target, gate, metrics, logger);
    private readonly PendingConnections _pending = new(options.Limits.MaxPending);

    public async Task OnSocketAsync(Socket socket, CancellationToken stopping)
    {
        var remote = socket.RemoteEndPoint as IPEndPoint;
        using var pending = _pending.TryEnter(remote?.Address);
        if (pending is null)
        {
            refusals.Refuse("inbound", target.WorkloadPort, RefusalReason.PendingLimit, remote,
                $"{_pending.PerSourceLimit} connections from this address, or {options.Limits.MaxPending} in all, have not sent a request yet ({ProxyProtocol.ControlPlaneApi.ProxyEnvironment.MaxPendingConnections})");
            ConnectionReset.Reset(socket);
            return;
        }
        var config = state.Config;
        InboundPort? port = null;
        if (config is not null)
        {
            port = passthrough
                ? config.Snapshot.InboundPassthrough is { } workload ? workload with { Port = target.WorkloadPort } : null
                : config.InboundByPort.GetValueOrDefault(target.WorkloadPort);
        }
        if (config is null || port is null)
        {
            Reject(socket, remote, InboundRejection.UnknownPort, config is null ? "no configuration snapshot yet"
                : passthrough ? "the snapshot has no workload-level policy for undeclared ports" : "port not in the snapshot");
            return;
        }
        var isTcp = port.Protocol == "tcp";
        // On the proxy's event loop; disposed (deregistered) before the listener closes the socket.
        await using var network = LoopStream.Open(socket, ownsSocket: false);
        using var first = await FirstBytes.ReadAsync(network, isTcp ? options.SniffTimeout : options.HandshakeTimeout, stopping).ConfigureAwait(false);
        if (first.Kind is null && !isTcp)
        {
            // Nothing arrived on an HTTP port: nothing to serve.
            return;
        }

        // TLS by mode.
        InboundTlsOutcome outcome;
        Stream stream = first.Stream;
        System.Security.Cryptography.X509Certificates.X509Certificate2? peerLeaf = null;
        if (first.Kind == SniffResult.Tls)
        {
            if (port.Mode == InboundTlsMode.Disable)
            {
                Reject(socket, remote, InboundRejection.TlsOnDisabledPort, $"mTLS is DISABLE on port {port.Port} ({port.ModeSource})");
                return;
            }
            var tls = state.Tls;
            if (tls?.ServerOptions is null)
            {
                Reject(socket, remote, InboundRejection.NoCertificate, "no workload certificate yet");
                return;
            }
            var handshake = await MeshTlsServer.HandshakeAsync(stream, tls, options.HandshakeTimeout, stopping).ConfigureAwait(false);
            if (handshake is not ServerHandshake.Mutual mutual)
            {
                var failed = (ServerHandshake.Failed)handshake;
                metrics.RecordHandshake("inbound", failed.Reason);
                refusals.Refuse("inbound", target.WorkloadPort, RefusalReason.HandshakePrefix + failed.Reason.Label(), remote, $"TLS handshake: {failed.Detail}");
                // Reset, as before any application byte: the client reads a failure, never a clean end of stream.
                ConnectionReset.Reset(socket);
                return;
            }
            metrics.RecordHandshake("inbound", null);
            stream = mutual.Stream;
            peerLeaf = mutual.PeerLeaf;
            Meshwork.Identity.SpiffeId.TryParse(mutual.PeerSpiffeUri, out var peerId);
            outcome = new InboundTlsOutcome.Mutual(mutual.PeerSpiffeUri, peerId.Principal, peerId.Namespace,
                Convert.ToHexStringLower(SHA256.HashData(peerLeaf.RawDataMemory.Span)), mutual.ApplicationProtocol);
        }
        else
        {
            if (port.Mode == InboundTlsMode.Strict)
            {
                Reject(socket, remote, InboundRejection.PlaintextOnStrictPort, $"mTLS is STRICT on port {port.Port} ({port.ModeSource})");
                return;
            }
            outcome = new InboundTlsOutcome.None(first.Kind is null ? NoTlsReason.NoClientHello : NoTlsReason.Plaintext);
            if (remote is not null) state.PlaintextPeers.Record(port.Port, remote.Address);
        }

        var baseLabels = InboundLabels.For(config, port, outcome, isTcp);
        var labels = metrics.Intern(baseLabels);
        ProxyLog.InboundAccepted(logger, port.Port, remote?.ToString(), outcome switch
        {
            InboundTlsOutcome.Mutual => "mutual_tls",
            InboundTlsOutcome.None { Reason: NoTlsReason.NoClientHello } => "none (no ClientHello before the sniffing timeout)",
            _ => "none (plaintext)",
        }, (outcome as InboundTlsOutcome.Mutual)?.PeerSpiffeUri ?? "-");

        await using (stream.ConfigureAwait(false))
        {
            if (isTcp)
            {
                pending.Release();
                await _tcp.RunAsync(socket, stream, port, outcome, labels).ConfigureAwait(false);
                return;
            }

            // Protocol: HTTP/2 when TLS negotiated h2, or a plaintext client opened with the HTTP/2 preface.
            var own = state.Credentials?.SpiffeUri ?? config.Snapshot.Node.SpiffeId;
            var connection = new InboundConnectionFeature
            {
                Target = target,
                Port = port,
                Config = config,
                Tls = outcome,
                Labels = labels,
                BaseLabels = baseLabels,
                Pending = pending,
                ForwardedClientCert = outcome is InboundTlsOutcome.Mutual m
                    ? $"By={own};Hash={m.LeafSha256Hex};Subject=\"\";URI={m.PeerSpiffeUri}"
                    : null,
            };
            var isHttp2 = outcome is InboundTlsOutcome.Mutual { ApplicationProtocol: "h2" or "istio-h2" }
                || (outcome is InboundTlsOutcome.None && await first.IsHttp2PrefaceAsync(options.HandshakeTimeout, stopping).ConfigureAwait(false));
            // Plaintext: the bytes the detection read are replayed by the connection's current stream.
            var client = outcome is InboundTlsOutcome.None ? first.Stream : stream;
            if (isHttp2)
            {
                pending.Release();
                await HandOffAsync(socket, client, connection, peerLeaf).ConfigureAwait(false);
                return;
            }
            // HTTP/1.1 (what mesh clients speak: ALPN istio-http/1.1), on the proxy's own relay.
            var reset = await _http1.RunAsync(client, connection, remote, socket.LocalEndPoint as IPEndPoint, CancellationToken.None, stopping).ConfigureAwait(false);
            if (reset) ConnectionReset.Reset(socket);
            else if (outcome is InboundTlsOutcome.None)
            {
                try { socket.Shutdown(SocketShutdown.Send); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
            }
        }
    }

    /// <summary>Gives an HTTP/2 connection to Kestrel's HTTP/2 stage, with what the pipeline established as features, and waits until Kestrel is done.</summary>
    private async Task HandOffAsync(Socket socket, Stream stream, InboundConnectionFeature connection, System.Security.Cryptography.X509Certificates.X509Certificate2? peerLeaf)
    {
        var handedOff = new HandedOffConnection(socket, stream);
        handedOff.Features.Set(connection);
        if (peerLeaf is not null)
        {
            var tls = new MeshTlsFeature(peerLeaf, http2: true);
            handedOff.Features.Set<ITlsConnectionFeature>(tls);
            handedOff.Features.Set<Microsoft.AspNetCore.Server.Kestrel.Core.Features.ITlsApplicationProtocolFeature>(tls);
        }
        if (!await http2.HandOffAsync(handedOff).ConfigureAwait(false))
        {
            // The proxy is stopping (or the HTTP/2 stage could not start).
            await handedOff.DisposeAsync().ConfigureAwait(false);
            return;
        }
        await handedOff.Completed.ConfigureAwait(false);
    }

    private void Reject(Socket socket, IPEndPoint? remote, InboundRejection rejection, string detail)
    {
        refusals.Refuse("inbound", target.WorkloadPort, rejection switch
        {
            InboundRejection.PlaintextOnStrictPort => RefusalReason.PlaintextOnStrict,
            InboundRejection.TlsOnDisabledPort => RefusalReason.TlsOnDisable,
            InboundRejection.NoCertificate => RefusalReason.NoCertificate,
            _ => RefusalReason.UnknownPort,
        }, remote, detail);
        ConnectionReset.Reset(socket);
    }
}

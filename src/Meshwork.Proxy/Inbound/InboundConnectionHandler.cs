using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Gate;
using Meshwork.Proxy.Inbound.Sniffing;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol.Snapshots;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound;

/// <summary>
/// The inbound connection pipeline for one workload port: sniff (TLS or plaintext, without
/// consuming) → enforce the port's mTLS mode → terminate TLS → publish the outcome → either
/// Kestrel's HTTP pipeline (http ports) or an L4 relay with connection-level authorization (tcp ports).
/// </summary>
internal sealed class InboundConnectionHandler(
    InboundTarget target, ProxyState state, InboundRequestGate gate, ProxyMetrics metrics, ProxyOptions options, ILogger logger)
{
    private readonly Forwarding.InboundHttp1Relay _relay = new(target, gate, metrics, logger);

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var remote = connection.RemoteEndPoint?.ToString();
        var config = state.Config;
        if (config is null || !config.InboundByPort.TryGetValue(target.WorkloadPort, out var port))
        {
            Reject(connection, remote, InboundRejection.UnknownPort, config is null ? "no configuration snapshot yet" : "port not in the snapshot");
            return;
        }
        var isTcp = port.Protocol == "tcp";
        SniffResult? sniff;
        try
        {
            sniff = await ProtocolSniffer.PeekAsync(connection.Transport.Input, isTcp ? options.SniffTimeout : options.HandshakeTimeout, connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionResetException) { return; }

        if (sniff is null && !isTcp)
        {
            // Nothing arrived on an HTTP port: nothing to serve.
            connection.Abort();
            return;
        }

        InboundTlsOutcome outcome;
        SslStream? ssl = null;
        var originalTransport = connection.Transport;
        if (sniff == SniffResult.Tls)
        {
            if (port.Mode == InboundTlsMode.Disable)
            {
                Reject(connection, remote, InboundRejection.TlsOnDisabledPort, $"mTLS is DISABLE on port {port.Port} ({port.ModeSource})");
                return;
            }
            var tls = state.Tls;
            if (tls?.ServerOptions is null)
            {
                Reject(connection, remote, InboundRejection.NoCertificate, "no workload certificate yet");
                return;
            }
            var handshake = await MeshTlsServer.HandshakeAsync(new DuplexPipeStream(originalTransport), tls, options.HandshakeTimeout, connection.ConnectionClosed).ConfigureAwait(false);
            if (handshake is not ServerHandshake.Mutual mutual)
            {
                var failed = (ServerHandshake.Failed)handshake;
                metrics.RecordHandshake("inbound", failed.Reason);
                ProxyLog.InboundHandshakeFailed(logger, port.Port, remote, failed.Reason.Label(), failed.Detail);
                connection.Abort();
                return;
            }
            metrics.RecordHandshake("inbound", null);
            ssl = mutual.Stream;
            var leaf = mutual.PeerLeaf;
            Meshwork.Identity.SpiffeId.TryParse(mutual.PeerSpiffeUri, out var peerId);
            var alpn = mutual.ApplicationProtocol;
            outcome = new InboundTlsOutcome.Mutual(mutual.PeerSpiffeUri, peerId.Principal, peerId.Namespace, Convert.ToHexStringLower(SHA256.HashData(leaf.RawDataMemory.Span)), alpn);
            connection.Features.Set<ITlsConnectionFeature>(new MeshTlsFeature(leaf, alpn is "h2" or "istio-h2"));
            connection.Features.Set<ITlsApplicationProtocolFeature>(connection.Features.Get<ITlsConnectionFeature>() as MeshTlsFeature);
        }
        else
        {
            if (port.Mode == InboundTlsMode.Strict)
            {
                Reject(connection, remote, InboundRejection.PlaintextOnStrictPort, $"mTLS is STRICT on port {port.Port} ({port.ModeSource})");
                return;
            }
            outcome = new InboundTlsOutcome.None(sniff is null ? NoTlsReason.NoClientHello : NoTlsReason.Plaintext);
        }

        var baseLabels = InboundLabels.For(config, port, outcome, isTcp);
        var labels = metrics.Intern(baseLabels);
        ProxyLog.InboundAccepted(logger, port.Port, remote, outcome switch
        {
            InboundTlsOutcome.Mutual => "mutual_tls",
            InboundTlsOutcome.None { Reason: NoTlsReason.NoClientHello } => "none (no ClientHello before the sniffing timeout)",
            _ => "none (plaintext)",
        }, (outcome as InboundTlsOutcome.Mutual)?.PeerSpiffeUri ?? "-");
        try
        {
            if (isTcp)
            {
                await RelayTcpAsync(connection, ssl, (Stream?)ssl ?? new DuplexPipeStream(originalTransport), config, port, outcome, labels).ConfigureAwait(false);
                return;
            }
            var own = state.Credentials?.SpiffeUri ?? config.Snapshot.Node.SpiffeId;
            var feature = new InboundConnectionFeature
            {
                Target = target,
                Port = port,
                Config = config,
                Tls = outcome,
                Labels = labels,
                BaseLabels = baseLabels,
                ForwardedClientCert = outcome is InboundTlsOutcome.Mutual m
                    ? $"By={own};Hash={m.LeafSha256Hex};Subject=\"\";URI={m.PeerSpiffeUri}"
                    : null,
            };
            if (await IsHttp1Async(connection, ssl, outcome).ConfigureAwait(false))
            {
                // HTTP/1.1 (what mesh clients speak: ALPN istio-http/1.1): relayed without Kestrel's HTTP stage.
                var reset = await _relay.RunAsync((Stream?)ssl ?? new DuplexPipeStream(originalTransport), feature,
                    connection.RemoteEndPoint as System.Net.IPEndPoint, connection.LocalEndPoint as System.Net.IPEndPoint, connection.ConnectionClosed,
                    connection.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default).ConfigureAwait(false);
                if (reset) ConnectionReset.Reset(connection);
                else if (ssl is null) await originalTransport.Output.CompleteAsync().ConfigureAwait(false);
                return;
            }
            connection.Features.Set(feature);
            if (ssl is not null) connection.Transport = new StreamDuplexPipe(ssl);
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            if (ssl is not null)
            {
                connection.Transport = originalTransport;
                await ssl.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>HTTP/1.x unless TLS negotiated h2, or a plaintext client opened with the HTTP/2 preface.</summary>
    private static async ValueTask<bool> IsHttp1Async(ConnectionContext connection, SslStream? ssl, InboundTlsOutcome outcome)
    {
        if (ssl is not null) return outcome is not InboundTlsOutcome.Mutual { ApplicationProtocol: "h2" or "istio-h2" };
        var input = connection.Transport.Input;
        var first = new byte[Http2Preface.Length];
        while (true)
        {
            ReadResult result;
            try { result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionResetException) { return false; }
            var buffer = result.Buffer;
            var n = (int)Math.Min(buffer.Length, Http2Preface.Length);
            System.Buffers.BuffersExtensions.CopyTo(buffer.Slice(0, n), first);
            var isPreface = first.AsSpan(0, n).SequenceEqual(Http2Preface.AsSpan(0, n));
            if (!isPreface || n == Http2Preface.Length || result.IsCompleted)
            {
                input.AdvanceTo(buffer.Start);
                return !isPreface || n < Http2Preface.Length && result.IsCompleted;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static readonly byte[] Http2Preface = "PRI * HTTP/2.0"u8.ToArray();

    private async Task RelayTcpAsync(ConnectionContext connection, SslStream? ssl, Stream client, ActiveConfig config, InboundPort port, InboundTlsOutcome outcome, LabelsHandle labels)
    {
        var recorder = metrics.OpenTcp(labels);
        var decision = gate.CheckConnection(port, outcome, connection.RemoteEndPoint as System.Net.IPEndPoint, connection.LocalEndPoint as System.Net.IPEndPoint);
        if (decision.Verdict != GateVerdict.Admit)
        {
            recorder.Close(ResponseFlags.None);
            connection.Abort();
            return;
        }
        Stream upstream;
        try
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
            using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await socket.ConnectAsync(target.AppHost, target.AppPort, connectTimeout.Token).ConfigureAwait(false); }
            catch { socket.Dispose(); throw; }
            upstream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            ProxyLog.InboundForwardFailed(logger, port.Port, UpstreamStage.Connect, e.Message);
            recorder.Close(ResponseFlags.UpstreamConnectionFailure);
            ConnectionReset.Reset(connection);
            return;
        }
        await using (upstream.ConfigureAwait(false))
        {
            // Not ConnectionClosed: Kestrel signals it on the client's FIN, and a half-closed client still reads the answer.
            var end = await TcpRelay.RunAsync(client, upstream, recorder, CancellationToken.None).ConfigureAwait(false);
            ProxyLog.RelayEnded(logger, "inbound", port.Port, end, recorder.Received, recorder.Sent);
            recorder.Close(end == RelayEnd.UpstreamReset ? ResponseFlags.UpstreamConnectionTermination : ResponseFlags.None);
            if (end == RelayEnd.UpstreamReset) ConnectionReset.Reset(connection);
            else if (ssl is not null)
            {
                try { await ssl.ShutdownAsync().ConfigureAwait(false); } catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException) { }
            }
        }
    }

    private void Reject(ConnectionContext connection, string? remote, InboundRejection rejection, string detail)
    {
        ProxyLog.InboundRejected(logger, target.WorkloadPort, remote, rejection, detail);
        ConnectionReset.Reset(connection);
    }
}

/// <summary>TLS facts Kestrel looks for: the client certificate and the negotiated ALPN (h2 selects HTTP/2).</summary>
internal sealed class MeshTlsFeature(System.Security.Cryptography.X509Certificates.X509Certificate2 clientCertificate, bool http2)
    : ITlsConnectionFeature, ITlsApplicationProtocolFeature
{
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; set; } = clientCertificate;
    public Task<System.Security.Cryptography.X509Certificates.X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);
    public ReadOnlyMemory<byte> ApplicationProtocol { get; } = http2 ? SslApplicationProtocol.Http2.Protocol : SslApplicationProtocol.Http11.Protocol;
}

/// <summary>Destination-reporter labels for one inbound connection.</summary>
internal static class InboundLabels
{
    public static MetricLabels For(ActiveConfig config, InboundPort port, InboundTlsOutcome outcome, bool tcp)
    {
        var node = config.Snapshot.Node;
        var service = port.Services.IsDefaultOrEmpty ? null : port.Services[0];
        string? serviceName = null, serviceNamespace = null;
        if (service is not null)
        {
            var parts = service.Split('.');
            serviceName = parts[0];
            serviceNamespace = parts.Length > 1 ? parts[1] : node.Namespace;
        }
        var mutual = outcome as InboundTlsOutcome.Mutual;
        return new MetricLabels
        {
            Reporter = "destination",
            SourcePrincipal = mutual?.PeerSpiffeUri ?? MetricLabels.Unknown,
            SourceWorkloadNamespace = mutual?.PeerNamespace ?? MetricLabels.Unknown,
            DestinationWorkload = node.Workload,
            DestinationWorkloadNamespace = node.Namespace,
            DestinationPrincipal = node.SpiffeId ?? MetricLabels.Unknown,
            DestinationApp = node.App ?? MetricLabels.Unknown,
            DestinationVersion = node.Version ?? MetricLabels.Unknown,
            DestinationService = service ?? MetricLabels.Unknown,
            DestinationCanonicalService = node.CanonicalService ?? node.App ?? node.Workload,
            DestinationServiceName = serviceName ?? MetricLabels.Unknown,
            DestinationServiceNamespace = serviceNamespace ?? MetricLabels.Unknown,
            RequestProtocol = tcp ? "tcp" : "http",
            ConnectionSecurityPolicy = mutual is null ? "none" : "mutual_tls",
        };
    }
}

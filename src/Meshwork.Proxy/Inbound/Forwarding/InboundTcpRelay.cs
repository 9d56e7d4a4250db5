using System.Net;
using Meshwork.Proxy.MeshTls;
using System.Net.Sockets;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Inbound.Gate;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Forwarding;

/// <summary>
/// The inbound stage of a TCP port: the request gate judges the connection (no HTTP fields), then its bytes
/// are relayed to the app; an app reset becomes a client reset.
/// </summary>
internal sealed class InboundTcpRelay(InboundTarget target, InboundRequestGate gate, ProxyMetrics metrics, ILogger logger)
{
    public async Task RunAsync(Socket socket, Stream client, InboundPort port, InboundTlsOutcome outcome, LabelsHandle labels)
    {
        var recorder = metrics.OpenTcp(labels);
        var decision = gate.CheckConnection(port, outcome, socket.RemoteEndPoint as IPEndPoint, socket.LocalEndPoint as IPEndPoint);
        if (decision.Verdict != GateVerdict.Admit)
        {
            recorder.Close(ResponseFlags.None);
            return;
        }
        Stream upstream;
        try
        {
            var app = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await app.ConnectAsync(target.AppHost, target.AppPort, connectTimeout.Token).ConfigureAwait(false); }
            catch { app.Dispose(); throw; }
            upstream = new NetworkStream(app, ownsSocket: true);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            ProxyLog.InboundForwardFailed(logger, port.Port, UpstreamStage.Connect, e.Message);
            recorder.Close(ResponseFlags.UpstreamConnectionFailure);
            ConnectionReset.Reset(socket);
            return;
        }
        await using (upstream.ConfigureAwait(false))
        {
            // A half-closed client still reads the answer: the relay ends when both directions have.
            var end = await TcpRelay.RunAsync(client, upstream, recorder, CancellationToken.None).ConfigureAwait(false);
            ProxyLog.RelayEnded(logger, "inbound", port.Port, end, recorder.Received, recorder.Sent);
            recorder.Close(end == RelayEnd.UpstreamReset ? ResponseFlags.UpstreamConnectionTermination : ResponseFlags.None);
            if (end == RelayEnd.UpstreamReset) ConnectionReset.Reset(socket);
            else if (client is IMeshTlsStream ssl)
            {
                try { await ssl.ShutdownAsync().ConfigureAwait(false); } catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException) { }
            }
        }
    }
}

using System.Net.Sockets;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// Istio's PassthroughCluster (outboundTrafficPolicy ALLOW_ANY): a captured connection whose original destination
/// is no mesh service (an external address, a pod IP that is no endpoint) goes there as it is, plaintext TCP,
/// from the proxy (whose own traffic capture exempts). Its metrics name the PassthroughCluster as destination.
/// </summary>
internal sealed class PassthroughRelay(ProxyMetrics metrics, TimeSpan connectTimeout, ILogger logger)
{
    public const string ClusterName = "PassthroughCluster";

    public async Task RunAsync(Socket socket, ActiveConfig config, Ipv4EndPoint destination)
    {
        var labels = OutboundLabels.For(config, null, null, tcp: true) with
        {
            DestinationService = ClusterName,
            DestinationServiceName = ClusterName,
        };
        var recorder = metrics.OpenTcp(metrics.Intern(labels));
        using var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(connectTimeout);
            await upstream.ConnectAsync(destination.ToIPEndPoint(), cts.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            ProxyLog.PassthroughFailed(logger, destination.ToString(), e is SocketException se ? se.SocketErrorCode.ToString() : "connect timed out");
            recorder.Close(ResponseFlags.UpstreamConnectionFailure);
            // The client asked for a connection: it sees the refusal as a reset, as it would without a proxy.
            ConnectionReset.Reset(socket);
            return;
        }
        RelayEnd end;
        await using (var client = new NetworkStream(socket, ownsSocket: false))
        await using (var server = new NetworkStream(upstream, ownsSocket: false))
        {
            end = await TcpRelay.RunAsync(client, server, recorder, CancellationToken.None).ConfigureAwait(false);
        }
        ProxyLog.RelayEnded(logger, "outbound", destination.Port, end, recorder.Received, recorder.Sent);
        recorder.Close(end == RelayEnd.UpstreamReset ? ResponseFlags.UpstreamConnectionTermination : ResponseFlags.None);
        ConnectTunnel.EndClient(socket, end);
    }
}

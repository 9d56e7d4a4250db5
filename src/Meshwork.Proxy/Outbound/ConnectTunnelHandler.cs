using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// Connection middleware on the outbound listener: a connection that opens with
/// "CONNECT host:port HTTP/1.1" (RFC 9110 §9.3.6) becomes a byte tunnel to that service, with the
/// same routing and mTLS decision as HTTP; anything else goes on to the HTTP proxy.
/// </summary>
internal sealed class ConnectTunnelHandler(ProxyState state, UpstreamConnector connector, ProxyMetrics metrics, ILogger logger)
{
    private static readonly byte[] ConnectPrefix = "CONNECT "u8.ToArray();
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private const int MaxHeadLength = 16 * 1024;

    public async Task OnConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        ReadResult result;
        // Decide on the first bytes without consuming them.
        while (true)
        {
            try { result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionResetException) { return; }
            var buffer = result.Buffer;
            var n = (int)Math.Min(buffer.Length, ConnectPrefix.Length);
            var first = buffer.Slice(0, n).ToArray();
            if (!ConnectPrefix.AsSpan(0, n).SequenceEqual(first))
            {
                input.AdvanceTo(buffer.Start);
                await next(connection).ConfigureAwait(false);
                return;
            }
            if (n == ConnectPrefix.Length) break;
            if (result.IsCompleted) { input.AdvanceTo(buffer.Start); return; }
            input.AdvanceTo(buffer.Start, buffer.End);
        }

        // Read the whole request head.
        string head;
        while (true)
        {
            var buffer = result.Buffer;
            var reader = new SequenceReader<byte>(buffer);
            if (reader.TryReadTo(out ReadOnlySequence<byte> headBytes, HeadEnd, advancePastDelimiter: true))
            {
                head = Encoding.ASCII.GetString(headBytes);
                input.AdvanceTo(reader.Position);
                break;
            }
            if (buffer.Length > MaxHeadLength || result.IsCompleted)
            {
                input.AdvanceTo(buffer.End);
                await WriteStatusAsync(connection, 400, "meshwork: malformed CONNECT request").ConfigureAwait(false);
                return;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            try { result = await input.ReadAsync(connection.ConnectionClosed).ConfigureAwait(false); }
            catch (Exception e) when (e is IOException or OperationCanceledException or ConnectionResetException) { return; }
        }

        await TunnelAsync(connection, head).ConfigureAwait(false);
    }

    private async Task TunnelAsync(ConnectionContext connection, string head)
    {
        var requestLine = head.Split("\r\n", 2)[0].Split(' ');
        var authority = requestLine.Length >= 2 ? requestLine[1] : "";
        var colon = authority.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(authority.AsSpan(colon + 1), out var port))
        {
            await WriteStatusAsync(connection, 400, $"meshwork: CONNECT needs host:port, got '{authority}'").ConfigureAwait(false);
            return;
        }
        var host = authority[..colon];
        var config = state.Config;
        if (config is null)
        {
            await WriteStatusAsync(connection, 503, "meshwork: the proxy has no configuration yet").ConfigureAwait(false);
            return;
        }
        if (!config.Router.TryResolve(host, port, out var target, out var routeError))
        {
            ProxyLog.OutboundFailed(logger, "CONNECT", authority, UpstreamStage.NoRoute, routeError!);
            await WriteStatusAsync(connection, 502, $"meshwork: no route to {authority}: {routeError}").ConfigureAwait(false);
            return;
        }

        Stream? upstream = null;
        UpstreamEndpoint? endpoint = null;
        UpstreamException? failure = null;
        var tried = new List<UpstreamEndpoint>();
        for (var attempt = 0; attempt < 3 && upstream is null; attempt++)
        {
            endpoint = target!.Picker.Pick(tried);
            if (endpoint is null) break;
            tried.Add(endpoint);
            try
            {
                upstream = await connector.ConnectAsync(target.Service, target.Port, endpoint, http: false, CancellationToken.None).ConfigureAwait(false);
                target.Picker.ReportSuccess(endpoint);
            }
            catch (UpstreamException e)
            {
                failure = e;
                if (e.Stage == UpstreamStage.Connect) target.Picker.ReportConnectFailure(endpoint);
                else break;
            }
        }
        var labels = metrics.Intern(OutboundLabels.For(config, target, endpoint, tcp: true));
        var recorder = metrics.OpenTcp(labels);
        if (upstream is null)
        {
            var stage = failure?.Stage ?? UpstreamStage.NoHealthyUpstream;
            var reason = failure?.Message ?? $"{target!.Service.Hostname}:{target.Port.Port} has no ready endpoint";
            ProxyLog.OutboundFailed(logger, "CONNECT", authority, stage, reason);
            var (status, flags) = ErrorResponder.Map(stage, tried.Count > 1);
            recorder.Close(flags);
            await WriteStatusAsync(connection, status, $"meshwork: {reason}").ConfigureAwait(false);
            return;
        }

        ProxyLog.TunnelEstablished(logger, authority, $"{endpoint!.Address}:{endpoint.Port}");
        await using (upstream.ConfigureAwait(false))
        {
            var output = connection.Transport.Output;
            await output.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray()).ConfigureAwait(false);
            var client = new DuplexPipeStream(connection.Transport);
            // Not ConnectionClosed: Kestrel signals it on the client's FIN, and a half-closed client still reads the answer.
            var end = await TcpRelay.RunAsync(client, upstream, recorder, CancellationToken.None).ConfigureAwait(false);
            ProxyLog.RelayEnded(logger, "outbound", port, end, recorder.Received, recorder.Sent);
            recorder.Close(end == RelayEnd.UpstreamReset ? ResponseFlags.UpstreamConnectionTermination : ResponseFlags.None);
            if (end == RelayEnd.UpstreamReset) ConnectionReset.Reset(connection);
        }
    }

    private static async Task WriteStatusAsync(ConnectionContext connection, int status, string body)
    {
        var reason = status switch { 400 => "Bad Request", 502 => "Bad Gateway", 503 => "Service Unavailable", _ => "Error" };
        var bodyBytes = Encoding.UTF8.GetBytes(body + "\n");
        var headBytes = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {bodyBytes.Length}\r\nconnection: close\r\n\r\n");
        try
        {
            await connection.Transport.Output.WriteAsync(headBytes).ConfigureAwait(false);
            await connection.Transport.Output.WriteAsync(bodyBytes).ConfigureAwait(false);
            await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ConnectionResetException) { }
    }
}

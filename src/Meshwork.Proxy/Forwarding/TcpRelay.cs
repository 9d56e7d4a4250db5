using System.Buffers;
using Meshwork.Proxy.MeshTls;
using System.Net.Sockets;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Transport.Loop;

namespace Meshwork.Proxy.Forwarding;

/// <summary>How a relayed connection ended.</summary>
internal enum RelayEnd { Closed, UpstreamReset, DownstreamReset }

/// <summary>
/// L4 byte copy in both directions. A half-close from the client is passed on (so request/response
/// protocols over nc work); an upstream reset is reported so the caller can reset the client too.
/// </summary>
internal static class TcpRelay
{
    private const int BufferSize = 32 * 1024;

    public static async Task<RelayEnd> RunAsync(Stream client, Stream upstream, TcpConnectionRecorder? recorder, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toUpstream = PumpAsync(client, upstream, recorder, fromClient: true, cts.Token);
        var toClient = PumpAsync(upstream, client, recorder, fromClient: false, cts.Token);

        var first = await Task.WhenAny(toUpstream, toClient).ConfigureAwait(false);
        var firstEnd = await first.ConfigureAwait(false);
        if (first == toUpstream && firstEnd == RelayEnd.Closed)
        {
            // The client finished sending: half-close upstream and let the answer drain.
            await HalfCloseAsync(upstream).ConfigureAwait(false);
            var end = await toClient.ConfigureAwait(false);
            return end;
        }
        cts.Cancel();
        try { await (first == toUpstream ? toClient : toUpstream).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        return firstEnd;
    }

    private static async Task<RelayEnd> PumpAsync(Stream from, Stream to, TcpConnectionRecorder? recorder, bool fromClient, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                int read;
                try { read = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                { return fromClient ? RelayEnd.DownstreamReset : (IsReset(e) ? RelayEnd.UpstreamReset : RelayEnd.Closed); }
                if (read == 0) return RelayEnd.Closed;
                try
                {
                    await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    await to.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                { return fromClient ? (IsReset(e) ? RelayEnd.UpstreamReset : RelayEnd.Closed) : RelayEnd.DownstreamReset; }
                if (recorder is not null)
                {
                    // received = bytes from the downstream client; sent = bytes back to it (Istio's meaning).
                    if (fromClient) Interlocked.Add(ref recorder.Received, read);
                    else Interlocked.Add(ref recorder.Sent, read);
                }
            }
        }
        catch (OperationCanceledException) { return RelayEnd.Closed; }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static async Task HalfCloseAsync(Stream upstream)
    {
        try
        {
            switch (upstream)
            {
                case NetworkStream n: n.Socket.Shutdown(SocketShutdown.Send); break;
                case LoopStream l: l.Socket.Shutdown(SocketShutdown.Send); break;
                case IMeshTlsStream s:
                    // close_notify: the peer's TLS reader sees end of stream.
                    await s.ShutdownAsync().ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException) { }
    }

    private static bool IsReset(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted }) return true;
        return false;
    }
}

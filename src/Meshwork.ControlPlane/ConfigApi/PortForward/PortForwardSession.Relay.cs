using System.Buffers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

/// <summary>The relay of one forwarded connection: dial the pod's port on its own localhost, copy both ways, end both streams as the kubelet does.</summary>
public sealed partial class PortForwardSession
{
    private static readonly TimeSpan ConnectLimit = TimeSpan.FromSeconds(10);

    /// <summary>How long the client may take, once the pod's side ended, to end or reset its own (kubectl resets at once).</summary>
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(30);

    /// <summary>The largest read from the pod relayed as one DATA frame.</summary>
    private const int ChunkBytes = 32 * 1024;

    private async Task RunPairAsync(StreamPair pair, CancellationToken session)
    {
        try
        {
            var complete = pair.Complete.Task;
            if (await Task.WhenAny(complete, Task.Delay(PairLimit, session)).ConfigureAwait(false) != complete && pair.Expire())
            {
                session.ThrowIfCancellationRequested();
                await FailAsync(pair, $"timed out waiting for the {(pair.Data is null ? "data" : "error")} stream of request {pair.RequestId}", session).ConfigureAwait(false);
                return;
            }
            Interlocked.Increment(ref _forwarded);
            await ForwardAsync(pair, session).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The session is over: the client went away or the host is stopping.
        }
        finally
        {
            if (pair.Data?.Inbound is { } inbound) await inbound.Reader.CompleteAsync().ConfigureAwait(false);
            Forget(pair);
            pair.Dispose();
        }
    }

    private async Task ForwardAsync(StreamPair pair, CancellationToken session)
    {
        var data = pair.Data!;
        // The kubelet's words, which kubectl prints after "an error occurred forwarding LOCAL -> REMOTE".
        var failure = $"error forwarding port {Text(data.Port)} to pod {_pod}";
        if (_ports.Find(_namespace, _pod, data.Port, out var refusal) is not { } dialer)
        {
            await FailAsync(pair, $"{failure}: {refusal}", session).ConfigureAwait(false);
            return;
        }
        Socket socket;
        try
        {
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(pair.Relay);
            connect.CancelAfter(ConnectLimit);
            socket = await dialer.ConnectAsync(connect.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException || (e is OperationCanceledException && !pair.Relay.IsCancellationRequested))
        {
            var reason = e is OperationCanceledException ? $"no answer within {ConnectLimit.TotalSeconds:0} s" : e.Message;
            await FailAsync(pair, $"{failure}: dial tcp {dialer.Target}: {reason}", session).ConfigureAwait(false);
            return;
        }
        using var owned = socket;
        var upload = UploadAsync(data, socket, pair.Relay);
        await DownloadAsync(socket, data, pair.Relay).ConfigureAwait(false);
        try
        {
            await upload.WaitAsync(DrainLimit, session).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            pair.StopRelay();
        }
        // The error stream's end, empty: the forwarding went well.
        await EndAsync(pair.Error!, session).ConfigureAwait(false);
    }

    /// <summary>The client's bytes to the pod until the client ends its half; then the pod's socket is half-closed too.</summary>
    private static async Task UploadAsync(ForwardStream data, Socket socket, CancellationToken relay)
    {
        var reader = data.Inbound!.Reader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(relay).ConfigureAwait(false);
                foreach (var segment in result.Buffer)
                {
                    await socket.SendAsync(segment, SocketFlags.None, relay).ConfigureAwait(false);
                }
                reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The pod closed or reset its side, or the client reset the stream: the other direction ends it.
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The pod's bytes to the client until the pod ends (or resets) its side; then the data stream's end (FIN).</summary>
    private async Task DownloadAsync(Socket socket, ForwardStream data, CancellationToken relay)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(SpdyFrameWriter.HeaderLength + ChunkBytes);
        try
        {
            while (!data.IsReset)
            {
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer.AsMemory(SpdyFrameWriter.HeaderLength, ChunkBytes), SocketFlags.None, relay).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    // A reset from the pod ends the stream as its close would: kubectl then ends its local connection.
                    break;
                }
                if (read == 0) break;
                await _writer.WriteDataAsync(data.Id, fin: false, buffer.AsMemory(0, SpdyFrameWriter.HeaderLength + read), relay).ConfigureAwait(false);
            }
            await EndAsync(data, relay).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (relay.IsCancellationRequested)
        {
            // The client reset the data stream: it wants no more of it.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Forwarding failed: the message on the error stream, then both streams end, as the kubelet does.</summary>
    private async Task FailAsync(StreamPair pair, string message, CancellationToken session)
    {
        PortForwardLog.ForwardFailed(_logger, _pod, pair.RequestId, message);
        if (pair.Error is { IsReset: false } error)
        {
            await _writer.WriteAsync(new DataFrame(error.Id, false, Encoding.UTF8.GetBytes(message)), session).ConfigureAwait(false);
            await EndAsync(error, session).ConfigureAwait(false);
        }
        if (pair.Data is { } data) await EndAsync(data, session).ConfigureAwait(false);
    }

    /// <summary>This side's half of the stream ends: an empty DATA frame with FLAG_FIN (unless the client reset the stream).</summary>
    private async Task EndAsync(ForwardStream stream, CancellationToken cancellationToken)
    {
        if (stream.IsReset) return;
        await _writer.WriteAsync(new DataFrame(stream.Id, true, ReadOnlyMemory<byte>.Empty), cancellationToken).ConfigureAwait(false);
    }
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A connection the proxy accepted and set up itself (TLS terminated, features published) and hands to
/// Kestrel for its HTTP/2 stage. <see cref="Completed"/> ends when Kestrel is done with it.
/// </summary>
internal sealed class HandedOffConnection : ConnectionContext, IConnectionSocketFeature
{
    private static long s_ids;
    private readonly Stream _stream;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HandedOffConnection(Socket socket, Stream stream)
    {
        Socket = socket;
        _stream = stream;
        Transport = new StreamDuplexPipe(stream);
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        ConnectionId = $"handoff-{Interlocked.Increment(ref s_ids)}";
        Features.Set<IConnectionSocketFeature>(this);
    }

    public Socket Socket { get; }
    public Task Completed => _completed.Task;

    public override string ConnectionId { get; set; }
    public override IFeatureCollection Features { get; } = new FeatureCollection();
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    public override IDuplexPipe Transport { get; set; }
    public override CancellationToken ConnectionClosed { get => _closed.Token; set { } }
    public override EndPoint? LocalEndPoint { get; set; }
    public override EndPoint? RemoteEndPoint { get; set; }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
        try { Socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            // Completing the writer flushes what is left: on a peer that went away that fails, and nothing more is owed.
            try { await Transport.Output.CompleteAsync().ConfigureAwait(false); } catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException) { }
            try { await Transport.Input.CompleteAsync().ConfigureAwait(false); } catch (Exception e) when (e is InvalidOperationException or IOException or ObjectDisposedException) { }
            try { await _stream.DisposeAsync().ConfigureAwait(false); } catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
        }
        finally
        {
            _closed.Dispose();
            _completed.TrySetResult();
        }
    }
}

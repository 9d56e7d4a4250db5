using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A plain accept loop for the data path: each accepted socket goes to <c>handler</c> as it is, with
/// no pipes between the socket and the relay. Stopping closes the listener, signals the connections
/// (they end between requests) and waits for them. Past <c>maxConnections</c> open at once, a new
/// connection is reset at accept, before a byte of it is read, so that a flood holds neither descriptors
/// nor buffers beyond the bound.
/// </summary>
internal sealed class SocketListener : IAsyncDisposable
{
    private readonly Socket _listen;
    private readonly Func<Socket, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<Task> _connections = [];
    private readonly Task _accepting;
    private readonly int _maxConnections;
    private readonly Action<EndPoint?>? _onRefused;

    public IPEndPoint EndPoint { get; }

    private SocketListener(Socket listen, Func<Socket, CancellationToken, Task> handler, int maxConnections, Action<EndPoint?>? onRefused)
    {
        _listen = listen;
        _handler = handler;
        _maxConnections = maxConnections;
        _onRefused = onRefused;
        EndPoint = (IPEndPoint)listen.LocalEndPoint!;
        _accepting = AcceptLoopAsync();
    }

    /// <param name="onRefused">Told the remote end of each connection refused over the limit.</param>
    public static SocketListener Start(IPEndPoint endPoint, Func<Socket, CancellationToken, Task> handler, int maxConnections = int.MaxValue, Action<EndPoint?>? onRefused = null)
    {
        var listen = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listen.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listen.Bind(endPoint);
            listen.Listen(4096);
        }
        catch
        {
            listen.Dispose();
            throw;
        }
        return new SocketListener(listen, handler, maxConnections, onRefused);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listen.AcceptAsync(_stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (ObjectDisposedException) { return; }
            catch (SocketException) { continue; }
            int open;
            lock (_connections) open = _connections.Count;
            if (open >= _maxConnections)
            {
                EndPoint? remote = null;
                try { remote = socket.RemoteEndPoint; } catch (SocketException) { }
                Forwarding.ConnectionReset.Reset(socket);
                _onRefused?.Invoke(remote);
                continue;
            }
            socket.NoDelay = true;
            var connection = StartWithoutExecutionContext(socket);
            lock (_connections) _connections.Add(connection);
            _ = connection.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Starts a connection with no execution context to flow: its awaits then capture none, so a wake-up on the event
    /// loop's thread (which flows none either) resumes its state machines directly rather than through
    /// ExecutionContext.RunInternal, on every socket event. Nothing on the data path reads an async-local.
    /// </summary>
    private Task StartWithoutExecutionContext(Socket socket)
    {
        if (ExecutionContext.IsFlowSuppressed()) return RunAsync(socket);
        using (ExecutionContext.SuppressFlow()) return RunAsync(socket);
    }

    private async Task RunAsync(Socket socket)
    {
        try { await _handler(socket, _stopping.Token).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException) { }
        finally { socket.Dispose(); }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listen.Dispose();
        try { await _accepting.ConfigureAwait(false); } catch (OperationCanceledException) { }
        Task[] running;
        lock (_connections) running = [.. _connections];
        await Task.WhenAny(Task.WhenAll(running), Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        _stopping.Dispose();
    }
}

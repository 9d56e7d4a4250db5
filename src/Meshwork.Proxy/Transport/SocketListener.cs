using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A plain accept loop for the data path: each accepted socket goes to <c>handler</c> as it is, with
/// no pipes between the socket and the relay. Stopping closes the listener, signals the connections
/// (they end between requests) and waits for them.
/// </summary>
internal sealed class SocketListener : IAsyncDisposable
{
    private readonly Socket _listen;
    private readonly Func<Socket, CancellationToken, Task> _handler;
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<Task> _connections = [];
    private readonly Task _accepting;

    public IPEndPoint EndPoint { get; }

    private SocketListener(Socket listen, Func<Socket, CancellationToken, Task> handler)
    {
        _listen = listen;
        _handler = handler;
        EndPoint = (IPEndPoint)listen.LocalEndPoint!;
        _accepting = AcceptLoopAsync();
    }

    public static SocketListener Start(IPEndPoint endPoint, Func<Socket, CancellationToken, Task> handler)
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
        return new SocketListener(listen, handler);
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
            socket.NoDelay = true;
            var connection = RunAsync(socket);
            lock (_connections) _connections.Add(connection);
            _ = connection.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
        }
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

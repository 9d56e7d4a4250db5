using System.Net;
using System.Net.Sockets;

namespace Meshwork.Runtime.Network;

/// <summary>
/// Listens on the bridge's gateway address at istiod's port and relays each connection, byte for
/// byte, to the control plane on the host's loopback: pods have a loopback of their own, so this
/// is their only way to it. TLS stays end to end between the sidecar and the control plane.
/// </summary>
public sealed class ControlPlaneRelay : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private readonly TcpListener _listener;
    private readonly Func<EndPoint?> _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;

    public ControlPlaneRelay(IPEndPoint listen, Func<EndPoint?> target)
    {
        _target = target;
        _listener = new TcpListener(listen);
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                if (_stopping.IsCancellationRequested) return;
                continue;
            }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using (client)
        {
            if (_target() is not { } target) return;
            using var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp);
            using var connect = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            connect.CancelAfter(ConnectTimeout);
            try
            {
                await upstream.ConnectAsync(target, connect.Token).ConfigureAwait(false);
                await using var clientStream = new NetworkStream(client, ownsSocket: false);
                await using var upstreamStream = new NetworkStream(upstream, ownsSocket: false);
                var up = PumpAsync(clientStream, upstream, upstreamStream);
                var down = PumpAsync(upstreamStream, client, clientStream);
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
            {
                // Either side went away: both sockets close with this method.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, Socket toSocket, NetworkStream to)
    {
        try
        {
            await from.CopyToAsync(to, _stopping.Token).ConfigureAwait(false);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            try { toSocket.Shutdown(SocketShutdown.Both); } catch (SocketException) { } catch (ObjectDisposedException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        try { await _accepting.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stopping.Dispose();
    }
}

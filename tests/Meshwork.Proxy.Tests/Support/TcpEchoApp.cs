using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>A raw TCP app that echoes every byte back, and closes its side after the client half-closes.</summary>
public sealed class TcpEchoApp : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public int Port { get; }

    public TcpEchoApp()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var stream = client.GetStream();
                        var buffer = new byte[8192];
                        try
                        {
                            int n;
                            while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0) await stream.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                            client.Client.Shutdown(SocketShutdown.Send);
                        }
                        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException) { }
                    }
                });
            }
        }
        catch (OperationCanceledException) { }
        catch (SocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (OperationCanceledException) { }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Runtime.Network;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// An app listening inside a pod on a socket of the pod's namespace: HTTP answers 200 with the request head it
/// received as the body (so a test sees what the sidecar added); TCP echoes until the client half-closes.
/// Counts the connections it accepted, so a test can tell that nothing reached it.
/// </summary>
public sealed class PodApp : IDisposable
{
    private readonly Socket _listen;
    private readonly bool _http;
    private int _accepted;

    private PodApp(Socket listen, bool http)
    {
        _listen = listen;
        _http = http;
        _ = AcceptLoopAsync();
    }

    public int Accepted => Volatile.Read(ref _accepted);

    public static PodApp Http(PodNamespace pod, int port) => new(NetworkNamespaceSockets.Listen(pod.NamespacePath, new IPEndPoint(IPAddress.Any, port)), http: true);

    public static PodApp TcpEcho(PodNamespace pod, int port) => new(NetworkNamespaceSockets.Listen(pod.NamespacePath, new IPEndPoint(IPAddress.Any, port)), http: false);

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try { socket = await _listen.AcceptAsync(); }
            catch (Exception e) when (e is ObjectDisposedException or SocketException) { return; }
            Interlocked.Increment(ref _accepted);
            _ = ServeAsync(socket);
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                var buffer = new byte[16 * 1024];
                var length = 0;
                while (true)
                {
                    var read = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, timeout.Token);
                    if (read == 0) break;
                    if (!_http)
                    {
                        await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, timeout.Token);
                        continue;
                    }
                    length += read;
                    var text = Encoding.ASCII.GetString(buffer, 0, length);
                    var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (end < 0) continue;
                    var body = Encoding.ASCII.GetBytes(text[..end] + "\n");
                    var head = Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
                    await socket.SendAsync(head.Concat(body).ToArray(), SocketFlags.None, timeout.Token);
                    break;
                }
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
        }
    }

    public void Dispose() => _listen.Dispose();
}

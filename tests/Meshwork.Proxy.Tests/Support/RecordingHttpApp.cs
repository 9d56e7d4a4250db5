using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>
/// An app on raw sockets that records every byte it receives and answers each request head with what
/// <see cref="Answer"/> gives for it, written in one send: a well-behaved app by default, a misbehaving
/// one when a test says so. Tests see exactly what reached the app, and can make it answer badly.
/// </summary>
public sealed class RecordingHttpApp : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _gate = new();
    private readonly StringBuilder _received = new();
    private int _connections;

    public RecordingHttpApp()
    {
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>The response to send for a request head (its request line first).</summary>
    public Func<string, string> Answer { get; set; } = head => $"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    /// <summary>Everything any connection sent to the app, in arrival order.</summary>
    public string Received { get { lock (_gate) return _received.ToString(); } }

    public int Connections => Volatile.Read(ref _connections);

    private async Task AcceptLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _ = Task.Run(() => ServeAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var pending = new StringBuilder();
            var buffer = new byte[8192];
            try
            {
                int n;
                while ((n = await stream.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    var text = Encoding.Latin1.GetString(buffer, 0, n);
                    lock (_gate) _received.Append(text);
                    pending.Append(text);
                    while (TakeRequest(pending) is { } head)
                        await stream.WriteAsync(Encoding.Latin1.GetBytes(Answer(head)), _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException) { }
        }
    }

    /// <summary>One whole request (head and a Content-Length or chunked body) off the front of <paramref name="pending"/>; its head.</summary>
    private static string? TakeRequest(StringBuilder pending)
    {
        var text = pending.ToString();
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return null;
        var head = text[..(end + 4)];
        var length = end + 4;
        var lines = head.Split("\r\n");
        var contentLength = lines.FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
        if (contentLength is not null) length += int.Parse(contentLength[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        else if (lines.Any(l => l.StartsWith("transfer-encoding:", StringComparison.OrdinalIgnoreCase)))
        {
            // The last chunk, then the trailer section through its empty line (test bodies hold no "CRLF 0 CRLF").
            var last = text.IndexOf("\r\n0\r\n", end + 2, StringComparison.Ordinal);
            var trailerEnd = last < 0 ? -1 : text.IndexOf("\r\n\r\n", last + 3, StringComparison.Ordinal);
            if (trailerEnd < 0) return null;
            length = trailerEnd + 4;
        }
        if (text.Length < length) return null;
        pending.Remove(0, length);
        return head;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _loop; } catch (OperationCanceledException) { }
    }
}

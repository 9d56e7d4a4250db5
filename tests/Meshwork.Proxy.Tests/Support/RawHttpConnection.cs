using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>One response as a client read it: status, head, and body (by Content-Length, else to the close).</summary>
public sealed record RawResponse(int Status, string Head, string Body);

/// <summary>
/// A client connection that sends exactly the bytes a test gives, as an attacker would, and reads
/// responses one at a time. Every wait is bounded (generous, for a busy machine).
/// </summary>
public sealed class RawHttpConnection : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Socket _socket = new(SocketType.Stream, ProtocolType.Tcp);
    private readonly StringBuilder _pending = new();
    private bool _closed;

    public static async Task<RawHttpConnection> OpenAsync(IPEndPoint endPoint)
    {
        var connection = new RawHttpConnection();
        await connection._socket.ConnectAsync(endPoint).WaitAsync(Patience);
        return connection;
    }

    public async Task SendAsync(string bytes) => await _socket.SendAsync(Encoding.Latin1.GetBytes(bytes), SocketFlags.None).WaitAsync(Patience);

    /// <summary>
    /// The next response, or null when the connection closed before one began. <paramref name="bodyless"/>
    /// for the answer to a HEAD, or a 1xx, 204 or 304, whose Content-Length announces no bytes.
    /// </summary>
    public async Task<RawResponse?> ReadResponseAsync(bool bodyless = false)
    {
        int end;
        while ((end = _pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
        {
            if (!await ReceiveAsync()) return null;
        }
        var head = _pending.ToString(0, end + 4);
        var length = bodyless ? 0 : head.Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase)) is { } field
            ? int.Parse(field[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
            : -1;
        if (length >= 0) { while (_pending.Length < end + 4 + length && await ReceiveAsync()) { } }
        else { while (await ReceiveAsync()) { } }
        var bodyLength = Math.Min(length >= 0 ? length : int.MaxValue, _pending.Length - end - 4);
        var body = _pending.ToString(end + 4, bodyLength);
        _pending.Remove(0, end + 4 + bodyLength);
        return new RawResponse(int.Parse(head.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture), head, body);
    }

    /// <summary>True when the peer closed the connection (after anything still unread), within the patience.</summary>
    public async Task<bool> IsClosedAsync()
    {
        try
        {
            while (await ReceiveAsync()) { }
            return true;
        }
        catch (SocketException) { return true; }
    }

    private async Task<bool> ReceiveAsync()
    {
        if (_closed) return false;
        var buffer = new byte[16 * 1024];
        int n;
        try { n = await _socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(Patience); }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { n = 0; }
        if (n == 0) { _closed = true; return false; }
        _pending.Append(Encoding.Latin1.GetString(buffer, 0, n));
        return true;
    }

    public void Dispose() => _socket.Dispose();
}

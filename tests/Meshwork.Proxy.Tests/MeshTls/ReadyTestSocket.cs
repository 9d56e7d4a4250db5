using System.Net.Sockets;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>
/// An <see cref="IReadySocket"/> over a non-blocking .NET socket, for driving the OpenSSL engine on
/// real loopback sockets: readiness from a zero-byte receive, writability from a bounded poll.
/// </summary>
internal sealed class ReadyTestSocket : IReadySocket
{
    private static readonly TimeSpan WritableBound = TimeSpan.FromSeconds(30);

    public ReadyTestSocket(Socket socket)
    {
        socket.Blocking = false;
        Socket = socket;
    }

    public Socket Socket { get; }

    public int TryReceive(Span<byte> buffer)
    {
        var n = Socket.Receive(buffer, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock) return -1;
        if (error != SocketError.Success) throw new SocketException((int)error);
        return n;
    }

    public int TrySend(ReadOnlySpan<byte> buffer)
    {
        var n = Socket.Send(buffer, SocketFlags.None, out var error);
        if (error == SocketError.WouldBlock) return -1;
        if (error != SocketError.Success) throw new SocketException((int)error);
        return n;
    }

    public async ValueTask WaitReadableAsync(CancellationToken cancellationToken) =>
        await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);

    public async ValueTask WaitWritableAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + WritableBound;
        while (!Socket.Poll(1000, SelectMode.SelectWrite))
        {
            if (DateTime.UtcNow > deadline) throw new IOException("the socket stayed unwritable");
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>The stream a listener of the proxy's own loop would hand over: the TLS engine takes its socket.</summary>
internal sealed class ReadyTestStream(Socket socket) : Stream, IReadySocketStream
{
    public IReadySocket ReadySocket { get; } = new ReadyTestSocket(socket);

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var n = ReadySocket.TryReceive(buffer.Span);
            if (n >= 0) return n;
            await ReadySocket.WaitReadableAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var n = ReadySocket.TrySend(buffer.Span);
            if (n > 0) buffer = buffer[n..];
            else await ReadySocket.WaitWritableAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) ReadySocket.Dispose();
        base.Dispose(disposing);
    }
}

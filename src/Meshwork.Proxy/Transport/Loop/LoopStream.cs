using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Transport.Loop;

/// <summary>
/// A plaintext stream over a <see cref="LoopSocket"/>, in place of <see cref="NetworkStream"/>: a read or write the
/// socket can answer at once completes synchronously (no allocation); otherwise it waits on the loop. Errors
/// surface as NetworkStream's do (an <see cref="IOException"/> around the <see cref="SocketException"/>).
/// </summary>
internal sealed class LoopStream(LoopSocket socket) : Stream, IReadySocketStream, IPollableReadStream
{
    /// <summary>The stream the proxy's data path opens over an accepted or connected socket: on the loop where it runs, else .NET's.</summary>
    public static Stream Open(Socket socket, bool ownsSocket)
        => EventLoop.IsSupported ? new LoopStream(new LoopSocket(socket, ownsSocket)) : new NetworkStream(socket, ownsSocket);

    /// <summary>
    /// Connects <paramref name="socket"/> (made, and bound if it must be, by the caller) and opens the stream over it:
    /// on the loop where it runs, else .NET's. On failure the socket is disposed.
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(Socket socket, EndPoint remote, CancellationToken cancellationToken)
    {
        if (EventLoop.IsSupported) return new LoopStream(await LoopSocket.ConnectAsync(socket, remote, cancellationToken).ConfigureAwait(false));
        try { await socket.ConnectAsync(remote, cancellationToken).ConfigureAwait(false); }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new NetworkStream(socket, ownsSocket: true);
    }

    public IReadySocket ReadySocket => socket;

    public Socket Socket => socket.Socket;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <remarks>An empty buffer completes when the socket may be readable, with 0 (as NetworkStream's zero-byte read).</remarks>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read;
        try { read = socket.TryReceive(buffer.Span); }
        catch (SocketException e) { return ValueTask.FromException<int>(Wrap(e)); }
        catch (ObjectDisposedException e) { return ValueTask.FromException<int>(e); }
        return read >= 0 ? new ValueTask<int>(read) : ReadPendingAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadPendingAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            await socket.WaitReadableAsync(cancellationToken).ConfigureAwait(false);
            int read;
            try { read = socket.TryReceive(buffer.Span); }
            catch (SocketException e) { throw Wrap(e); }
            if (read >= 0) return read;
        }
    }

    public int TryRead(Span<byte> buffer)
    {
        try { return socket.TryReceive(buffer); }
        catch (SocketException e) { throw Wrap(e); }
    }

    public ValueTask WaitToReadAsync(CancellationToken cancellationToken) => socket.WaitReadableAsync(cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int sent;
        try { sent = SendWhatFits(buffer.Span); }
        catch (SocketException e) { return ValueTask.FromException(Wrap(e)); }
        catch (ObjectDisposedException e) { return ValueTask.FromException(e); }
        return sent == buffer.Length ? default : WritePendingAsync(buffer[sent..], cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WritePendingAsync(ReadOnlyMemory<byte> rest, CancellationToken cancellationToken)
    {
        while (!rest.IsEmpty)
        {
            await socket.WaitWritableAsync(cancellationToken).ConfigureAwait(false);
            try { rest = rest[SendWhatFits(rest.Span)..]; }
            catch (SocketException e) { throw Wrap(e); }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Sends until the socket's buffer is full: the bytes sent.</summary>
    private int SendWhatFits(ReadOnlySpan<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var sent = socket.TrySend(buffer[total..]);
            if (sent < 0) break;
            total += sent;
        }
        return total;
    }

    // Blocking calls wait on the loop, from any thread but the loop's own (which would wait for itself).
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = socket.TryReceive(buffer);
        if (read >= 0) return read;
        var copy = new byte[buffer.Length];
        read = Block(ReadAsync(copy, CancellationToken.None));
        copy.AsSpan(0, read).CopyTo(buffer);
        return read;
    }

    public override void Write(byte[] buffer, int offset, int count) => Block(WriteAsync(buffer.AsMemory(offset, count), CancellationToken.None));

    private static T Block<T>(ValueTask<T> pending)
    {
        if (EventLoop.Shared.IsLoopThread) throw new InvalidOperationException("a blocking read on the event loop's thread");
        return pending.AsTask().GetAwaiter().GetResult();
    }

    private static void Block(ValueTask pending)
    {
        if (EventLoop.Shared.IsLoopThread && !pending.IsCompleted) throw new InvalidOperationException("a blocking write on the event loop's thread");
        pending.AsTask().GetAwaiter().GetResult();
    }

    public override void Flush() { }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) socket.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        socket.Dispose();
        return base.DisposeAsync();
    }

    private static IOException Wrap(SocketException e) => new($"The transport connection failed: {e.Message}", e);
}

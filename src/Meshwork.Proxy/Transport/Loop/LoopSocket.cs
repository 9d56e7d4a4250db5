using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Transport.Loop;

/// <summary>
/// A connected, non-blocking TCP socket on the <see cref="EventLoop"/>: registered once, edge-triggered for both
/// directions, it reads and writes only when the loop says a direction may be ready, so a read that would return
/// EAGAIN costs no syscall.
/// </summary>
/// <remarks>
/// The socket must never have had one of .NET's own async operations (that would put it on .NET's epoll thread
/// as well, and wake two loops per event). Disposal deregisters it, completes any pending wait with
/// <see cref="ObjectDisposedException"/>, and closes the socket if this owns it.
/// </remarks>
internal sealed class LoopSocket : IReadySocket
{
    private readonly EventLoop _loop;
    private readonly SafeSocketHandle _handle;
    private readonly bool _ownsSocket;
    private readonly Readiness _read;
    private readonly Readiness _write;
    private int _disposed;
    // The peer's end of stream (or an error) was reported: it stays queued behind the data, so a short read no
    // longer means the kernel has nothing more for a reader (the edge that announced it will not come again).
    private volatile bool _readEnded;

    /// <summary>Puts <paramref name="socket"/> (connected) on the loop.</summary>
    public LoopSocket(Socket socket, bool ownsSocket) : this(socket, ownsSocket, writable: true) { }

    private LoopSocket(Socket socket, bool ownsSocket, bool writable)
    {
        _loop = EventLoop.Shared;
        Socket = socket;
        _ownsSocket = ownsSocket;
        _read = new Readiness(ready: true);
        _write = new Readiness(writable);
        socket.Blocking = false;
        _handle = socket.SafeHandle;
        _loop.Register(this, _handle);
    }

    public Socket Socket { get; }

    /// <summary>What this socket's events carry: its registration slot and generation (set by the loop).</summary>
    internal ulong Token { get; set; }

    /// <summary>
    /// Connects <paramref name="socket"/> (made, and bound if it must be, by the caller) without blocking: connect(2)
    /// answers EINPROGRESS, the loop says when the socket turns writable (or fails), and SO_ERROR says which.
    /// Throws <see cref="SocketException"/> (ConnectionRefused, ...) or, at <paramref name="cancellationToken"/>,
    /// <see cref="OperationCanceledException"/>; either way the socket is disposed.
    /// </summary>
    public static async ValueTask<LoopSocket> ConnectAsync(Socket socket, EndPoint remote, CancellationToken cancellationToken)
    {
        LoopSocket? connected = null;
        try
        {
            socket.Blocking = false;
            var inProgress = false;
            // .NET's own non-blocking connect: it keeps the socket's endpoints and state right, with no async machinery.
            try { socket.Connect(remote); }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress) { inProgress = true; }
            connected = new LoopSocket(socket, ownsSocket: true, writable: !inProgress);
            if (inProgress)
            {
                await connected.WaitWritableAsync(cancellationToken).ConfigureAwait(false);
                var error = LoopNative.PendingError(connected._handle);
                if (error != 0) throw LoopNative.Error(error);
            }
            return connected;
        }
        catch
        {
            if (connected is not null) connected.Dispose();
            else socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>An empty buffer answers 0 when the socket may be readable and -1 when not, without a syscall.</remarks>
    public unsafe int TryReceive(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        while (true)
        {
            var sequence = _read.Sequence;
            if (!_read.IsReady(sequence)) return -1;
            if (buffer.IsEmpty) return 0;
            nint read;
            fixed (byte* p = buffer) read = LoopNative.Recv(_handle, p, (nuint)buffer.Length, 0);
            if (read > 0)
            {
                // Edge-triggered: less than asked means the kernel's queue is empty now, unless the end of stream
                // or an error waits behind the data (nginx's pending_eof).
                if (read < buffer.Length && !_readEnded) _read.MarkEmpty(sequence);
                return (int)read;
            }
            if (read == 0) return 0;
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == LoopNative.EIntr) continue;
            if (errno != LoopNative.EAgain) throw LoopNative.Error(errno);
            _read.MarkEmpty(sequence);
            return -1;
        }
    }

    /// <inheritdoc/>
    public unsafe int TrySend(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (buffer.IsEmpty) return 0;
        while (true)
        {
            var sequence = _write.Sequence;
            if (!_write.IsReady(sequence)) return -1;
            nint sent;
            fixed (byte* p = buffer) sent = LoopNative.Send(_handle, p, (nuint)buffer.Length, LoopNative.MsgNoSignal);
            if (sent >= 0)
            {
                if (sent < buffer.Length) _write.MarkEmpty(sequence);
                return (int)sent;
            }
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == LoopNative.EIntr) continue;
            if (errno != LoopNative.EAgain) throw LoopNative.Error(errno);
            _write.MarkEmpty(sequence);
            return -1;
        }
    }

    public ValueTask WaitReadableAsync(CancellationToken cancellationToken) => _read.WaitAsync(cancellationToken);

    public ValueTask WaitWritableAsync(CancellationToken cancellationToken) => _write.WaitAsync(cancellationToken);

    /// <summary>On the loop thread: the kernel's events for this socket.</summary>
    internal void OnEvents(uint events)
    {
        // An error or a hang-up wakes both directions: the next read or send meets it.
        var failed = (events & (LoopNative.EpollErr | LoopNative.EpollHup)) != 0;
        if (failed || (events & LoopNative.EpollRdHup) != 0) _readEnded = true;
        if (failed || (events & (LoopNative.EpollIn | LoopNative.EpollRdHup)) != 0) _read.Signal();
        if (failed || (events & LoopNative.EpollOut) != 0) _write.Signal();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _loop.Deregister(Token, _handle);
        var closed = new ObjectDisposedException(nameof(LoopSocket));
        _read.Close(closed);
        _write.Close(closed);
        if (_ownsSocket) Socket.Dispose();
    }
}

using System.Runtime.CompilerServices;
using static Meshwork.Proxy.MeshTls.OpenSsl.OpenSslNative;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>Reads, writes and the TLS close of an established <see cref="OpenSslStream"/>.</summary>
internal sealed partial class OpenSslStream
{
    /// <summary>How long a close_notify may wait for room in the send buffer: best effort, as SslStream's.</summary>
    private static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(5);

    // What the reader's last try that found nothing waits for (the reader is one at a time).
    private int _readWant = ErrorWantRead;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = TryRead(buffer.Span, out var want);
        return want == ErrorNone ? new ValueTask<int>(read) : ReadPendingAsync(buffer, want, cancellationToken);
    }

    // Pooled: a read that waits for the socket allocates no state machine box per wait.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadPendingAsync(Memory<byte> buffer, int want, CancellationToken cancellationToken)
    {
        while (true)
        {
            await WaitAsync(want, cancellationToken).ConfigureAwait(false);
            var read = TryRead(buffer.Span, out want);
            if (want == ErrorNone) return read;
        }
    }

    public int TryRead(Span<byte> buffer)
    {
        var read = TryRead(buffer, out var want);
        if (want == ErrorNone) return read;
        _readWant = want;
        return -1;
    }

    /// <summary>Waits for what the last <see cref="TryRead(Span{byte})"/> that found nothing needs: the socket readable, or writable to finish a record OpenSSL must send first.</summary>
    public ValueTask WaitToReadAsync(CancellationToken cancellationToken) => WaitAsync(_readWant, cancellationToken);

    /// <summary>
    /// Bytes read (0 at the peer's close_notify or end of stream), or <paramref name="want"/> set to the
    /// readiness to wait for. An empty buffer waits until a record's bytes are there, reading none (as SslStream's zero-byte read).
    /// </summary>
    private unsafe int TryRead(Span<byte> buffer, out int want)
    {
        want = ErrorNone;
        byte scratch;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int result;
            if (buffer.IsEmpty) result = SSL_peek(_handle, &scratch, 1);
            else fixed (byte* p = buffer) result = SSL_read(_handle, p, buffer.Length);
            if (result > 0) return buffer.IsEmpty ? 0 : result;
            var error = SSL_get_error(_handle, result);
            switch (error)
            {
                case ErrorWantRead or ErrorWantWrite:
                    want = error;
                    return 0;
                case ErrorZeroReturn:
                    OpenSslErrors.TakeReason();
                    return 0;
                default:
                    _fatal = true;
                    throw TransferError("read");
            }
        }
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var written = TryWrite(buffer.Span);
        return written == buffer.Length ? default : WritePendingAsync(buffer, written, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WritePendingAsync(ReadOnlyMemory<byte> buffer, int written, CancellationToken cancellationToken)
    {
        while (written < buffer.Length)
        {
            await WaitAsync(ErrorWantWrite, cancellationToken).ConfigureAwait(false);
            written += TryWrite(buffer.Span[written..]);
        }
    }

    /// <summary>
    /// Bytes taken, record by record (partial writes on), until all or the send buffer is full. A retry
    /// passes the rest from where this stopped: OpenSSL accepts the moved buffer (ACCEPT_MOVING_WRITE_BUFFER).
    /// </summary>
    private unsafe int TryWrite(ReadOnlySpan<byte> buffer)
    {
        var written = 0;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            fixed (byte* p = buffer)
            {
                while (written < buffer.Length)
                {
                    var result = SSL_write(_handle, p + written, buffer.Length - written);
                    if (result > 0) { written += result; continue; }
                    var error = SSL_get_error(_handle, result);
                    if (error == ErrorWantWrite) break;
                    // WANT_READ on a write would need renegotiation or post-handshake messages, which the contexts disable: fail closed.
                    _fatal = true;
                    throw TransferError("write");
                }
            }
        }
        return written;
    }

    /// <summary>The transport's own exception (a reset stays recognisable as its SocketException), else OpenSSL's words.</summary>
    private IOException TransferError(string operation)
    {
        var text = OpenSslErrors.TakeReason();
        if (TakeTransportError() is { } transport) return new IOException($"the TLS {operation} failed: {transport.Message}", transport);
        return new IOException($"the TLS {operation} failed: {text ?? "the connection ended"}");
    }

    /// <summary>Sends close_notify, best effort: a session already failed or closed, or a send buffer full past a bound, sends nothing.</summary>
    public async Task ShutdownAsync()
    {
        using var bound = new CancellationTokenSource(ShutdownWait);
        while (true)
        {
            lock (_sync)
            {
                if (_disposed || _fatal) return;
                var result = SSL_shutdown(_handle);
                var error = result >= 0 ? ErrorNone : SSL_get_error(_handle, result);
                OpenSslErrors.TakeReason();
                if (error != ErrorWantWrite) return;
            }
            try { await WaitAsync(ErrorWantWrite, bound.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or System.Net.Sockets.SocketException) { return; }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    /// <summary>Every record is on the socket when a write completes: nothing to flush.</summary>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override void Flush() { }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

using System.Buffers;
using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// A buffered reader over a stream for HTTP/1.x: finds a message head, then hands out body bytes by
/// framing. One per connection side; its buffer is pooled and returned on dispose.
/// </summary>
internal sealed class HttpInput : IDisposable
{
    /// <summary>The largest message head read (and, for a request, answered with 431 beyond it).</summary>
    public const int MaxHeadLength = 64 * 1024;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _start, _end;

    // The stream again when its reads can be tried and waited for separately (the loop's sockets and the mesh TLS on them).
    private readonly Transport.IPollableReadStream? _pollable;

    public HttpInput(Stream stream, RelaySide side) { Stream = stream; Side = side; _pollable = stream as Transport.IPollableReadStream; }

    public Stream Stream { get; }
    /// <summary>Downstream reads requests, upstream reads responses.</summary>
    public RelaySide Side { get; }
    public int Buffered => _end - _start;
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, _end - _start);
    public void Consume(int count) { _start += count; if (_start == _end) _start = _end = 0; }

    /// <summary>Reads more bytes; false at end of stream.</summary>
    /// <remarks>
    /// Not an async method itself: a read the stream completes at once costs no state machine, and one it
    /// completes later awaits in <see cref="FillLaterAsync"/>, whose box is pooled (over a stream that can be polled,
    /// <see cref="FillWhenReadableAsync"/> waits on its readiness and reads itself). Failures still surface
    /// from the returned task, never from the call.
    /// No zero-byte read goes first to wait for readiness: on Linux, .NET's socket engine tries a read at once whenever
    /// the socket's last operation succeeded, and answers a zero-byte read with a one-byte MSG_PEEK recvfrom, so the peek
    /// fails with EAGAIN where the read would have, and a successful peek is added before every real read
    /// (strace of a loopback echo: 0.50 EAGAIN per read either way, 1.50 → 2.00 recvfrom per read).
    /// </remarks>
    public ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        int n;
        if (_pollable is not null)
        {
            // TryFillNow makes room and maps a transport failure itself.
            try { n = TryFillNow(); }
            catch (Exception e) { return ValueTask.FromException<bool>(e); }
            return n < 0 ? FillWhenReadableAsync(cancellationToken) : new ValueTask<bool>(n > 0);
        }
        try { MakeRoom(); }
        catch (RelayException e) { return ValueTask.FromException<bool>(e); }
        try
        {
            var read = Stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (!read.IsCompleted) return FillLaterAsync(read);
            n = read.GetAwaiter().GetResult();
        }
        catch (Exception e) { return ValueTask.FromException<bool>(IsTransportFailure(e) ? new RelayException(Side, e.Message, e) : e); }
        _end += n;
        return new ValueTask<bool>(n > 0);
    }

    /// <summary>A failure of the stream under the codec (as opposed to a cancellation or a malformed message): surfaced as a <see cref="RelayException"/>.</summary>
    internal static bool IsTransportFailure(Exception e) => e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException;

    /// <summary>The stream when it is read on readiness: then <see cref="TryFillNow"/> and a wait on it can stand in for <see cref="FillAsync"/>.</summary>
    public Transport.IPollableReadStream? Pollable => _pollable;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillLaterAsync(ValueTask<int> pending)
    {
        int read;
        try { read = await pending.ConfigureAwait(false); }
        catch (Exception e) when (IsTransportFailure(e)) { throw new RelayException(Side, e.Message, e); }
        _end += read;
        return read > 0;
    }

    /// <summary>Waits on the stream's readiness itself: one state machine per wait, none in the stream under it.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillWhenReadableAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            try { await _pollable!.WaitToReadAsync(cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (IsTransportFailure(e)) { throw new RelayException(Side, e.Message, e); }
            var read = TryFillNow();
            if (read >= 0) return read > 0;
        }
    }

    /// <summary>For a <see cref="Pollable"/> stream: one read of what is there now (the bytes added, 0 at its end), or -1 to wait for it.</summary>
    public int TryFillNow()
    {
        MakeRoom();
        int read;
        try { read = _pollable!.TryRead(_buffer.AsSpan(_end)); }
        catch (Exception e) when (IsTransportFailure(e)) { throw new RelayException(Side, e.Message, e); }
        if (read > 0) _end += read;
        return read;
    }

    /// <summary>Makes room at the end of the buffer: the unread bytes move to the front, or the buffer grows (up to the head limit).</summary>
    private void MakeRoom()
    {
        if (_start > 0 && _end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start; _start = 0;
        }
        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxHeadLength) throw new RelayException(Side, "message head too large");
            var bigger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            Buffer.BlockCopy(_buffer, _start, bigger, 0, _end - _start);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger; _end -= _start; _start = 0;
        }
    }

    /// <summary>
    /// Waits for a whole message head (through the empty line) and returns its length; 0 when the
    /// stream ended cleanly before its first byte. Every line must end in CRLF: a bare LF is refused here,
    /// as soon as it arrives, rather than read as a line end by one hop and as data by the next.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var scan = new HeadScan();
        while (true)
        {
            var length = FindHeadEnd(ref scan);
            if (length > 0) return length;
            if (Buffered >= MaxHeadLength || scan.Skipped > MaxHeadLength)
            {
                throw Side == RelaySide.Downstream
                    ? new HttpWireException(431, "the request head is larger than 64 KiB")
                    : HttpWireException.Malformed("the response head is larger than 64 KiB");
            }
            bool more;
            if (_pollable is not null)
            {
                // The wait is this method's own: a response that comes later resumes it directly, with no fill frame between.
                var read = TryFillNow();
                if (read < 0)
                {
                    try { await _pollable.WaitToReadAsync(cancellationToken).ConfigureAwait(false); }
                    catch (Exception e) when (IsTransportFailure(e)) { throw new RelayException(Side, e.Message, e); }
                    continue;
                }
                more = read > 0;
            }
            else more = await FillAsync(cancellationToken).ConfigureAwait(false);
            if (!more)
            {
                if (Buffered == 0) return 0;
                throw new RelayException(Side, "the connection closed in the middle of a message head");
            }
        }
    }

    private struct HeadScan
    {
        public int LineStart, Next, Skipped;
    }

    /// <summary>Walks the complete lines buffered so far; the head's length at its empty line, else 0.</summary>
    private int FindHeadEnd(ref HeadScan scan)
    {
        while (true)
        {
            var span = Span;
            var lf = span[scan.Next..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                scan.Next = span.Length;
                return 0;
            }
            lf += scan.Next;
            if (lf == 0 || span[lf - 1] != '\r') throw HttpWireException.Malformed("a bare LF in the message head");
            if (lf - 1 > scan.LineStart)
            {
                scan.LineStart = scan.Next = lf + 1;
                continue;
            }
            if (scan.LineStart > 0) return lf + 1;
            // An empty line before the start line: ignored before a request (RFC 9112 §2.2), never expected before a response.
            if (Side == RelaySide.Upstream) throw HttpWireException.Malformed("an empty line before the status line");
            Consume(2);
            scan.Skipped += 2;
            scan.Next = 0;
        }
    }

    /// <summary>
    /// Waits for a whole line and returns its length with its CRLF; a line longer than <paramref name="maxLength"/>
    /// is a framing error.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadLineAsync(int maxLength, CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var at = Span[scanned..].IndexOf("\r\n"u8);
            if (at >= 0) return scanned + at + 2;
            scanned = Math.Max(0, Buffered - 1);
            if (Buffered >= maxLength) throw HttpWireException.Malformed("a chunk or trailer line too long");
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                throw new RelayException(Side, "the connection closed in the middle of a chunked body");
        }
    }

    /// <summary>Copies one body to <paramref name="output"/>, chunked bodies re-framed; returns the payload bytes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> CopyBodyAsync(BodyFraming framing, long length, HttpOutput output, CancellationToken cancellationToken)
    {
        switch (framing)
        {
            case BodyFraming.ContentLength:
                await CopyExactAsync(length, output, cancellationToken).ConfigureAwait(false);
                return length;
            case BodyFraming.Chunked:
                return await ChunkedBody.RelayAsync(this, output, cancellationToken).ConfigureAwait(false);
            case BodyFraming.UntilClose:
                long total = 0;
                while (true)
                {
                    if (Buffered == 0 && !await FillAsync(cancellationToken).ConfigureAwait(false)) return total;
                    total += Buffered;
                    await output.WriteAsync(Span, cancellationToken).ConfigureAwait(false);
                    Consume(Buffered);
                }
            default:
                return 0;
        }
    }

    /// <summary>Copies exactly <paramref name="remaining"/> bytes; the stream ending first is a failure of this side.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CopyExactAsync(long remaining, HttpOutput output, CancellationToken cancellationToken)
    {
        while (remaining > 0)
        {
            if (Buffered == 0 && !await FillAsync(cancellationToken).ConfigureAwait(false))
                throw new RelayException(Side, "the connection closed in the middle of a body");
            var n = (int)Math.Min(remaining, Buffered);
            await output.WriteAsync(Span[..n], cancellationToken).ConfigureAwait(false);
            Consume(n);
            remaining -= n;
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace Meshwork.Proxy.Http1;

/// <summary>A write buffer over a stream: a message head and a small body leave in one write (one TLS record).</summary>
internal sealed class HttpOutput : IDisposable
{
    /// <summary>The buffer of a connection's writer: a small response and its head in one write.</summary>
    public const int ConnectionBufferSize = 16 * 1024;
    /// <summary>
    /// The buffer of a request head held for the upstream (and for a retry): most heads are a few hundred bytes,
    /// so a kept-alive connection does not hold 16 KiB for one; a larger head grows it.
    /// </summary>
    public const int HeadBufferSize = 2 * 1024;
    private readonly int _initialSize;
    private byte[] _buffer;
    private int _length;

    public HttpOutput(Stream stream, RelaySide side, int initialSize = ConnectionBufferSize)
    {
        Stream = stream;
        Side = side;
        _initialSize = initialSize;
        _buffer = ArrayPool<byte>.Shared.Rent(initialSize);
    }

    public Stream Stream { get; }
    public RelaySide Side { get; }

    /// <summary>Bytes handed to the stream so far: unchanged across a message means none of it left yet.</summary>
    public long BytesSent { get; private set; }

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_length + bytes.Length > _buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes.Length));
            Buffer.BlockCopy(_buffer, 0, bigger, 0, _length);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public void AppendAscii(string text)
    {
        if (_length + text.Length > _buffer.Length) Append(Encoding.ASCII.GetBytes(text));
        else _length += Encoding.ASCII.GetBytes(text, _buffer.AsSpan(_length));
    }

    public void AppendUtf8(string text)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        if (_length + max > _buffer.Length) Append(Encoding.UTF8.GetBytes(text));
        else _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
    }

    /// <summary>A number in decimal ASCII digits.</summary>
    public void AppendDecimal(long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var written);
        Append(digits[..written]);
    }

    /// <summary>A number in lower-case hexadecimal digits (a chunk size).</summary>
    public void AppendHex(long value)
    {
        Span<byte> digits = stackalloc byte[16];
        Utf8Formatter.TryFormat(value, digits, out var written, new StandardFormat('x'));
        Append(digits[..written]);
    }

    public ValueTask WriteAsync(ReadOnlySpan<byte> bytes, CancellationToken cancellationToken)
    {
        if (_length + bytes.Length <= _buffer.Length)
        {
            bytes.CopyTo(_buffer.AsSpan(_length));
            _length += bytes.Length;
            return ValueTask.CompletedTask;
        }
        Append(bytes);
        return FlushAsync(cancellationToken);
    }

    /// <summary>Sends what was written. A write the stream completes at once costs no state machine; failures surface from the returned task.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_length == 0) return ValueTask.CompletedTask;
        var length = _length;
        _length = 0;
        BytesSent += length;
        try
        {
            var write = Stream.WriteAsync(_buffer.AsMemory(0, length), cancellationToken);
            if (!write.IsCompleted) return FlushLaterAsync(write);
            write.GetAwaiter().GetResult();
        }
        catch (Exception e) { return ValueTask.FromException(IsTransportFailure(e) ? new RelayException(Side, e.Message, e) : e); }
        Shrink();
        return ValueTask.CompletedTask;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushLaterAsync(ValueTask pending)
    {
        try { await pending.ConfigureAwait(false); }
        catch (Exception e) when (IsTransportFailure(e)) { throw new RelayException(Side, e.Message, e); }
        Shrink();
    }

    private static bool IsTransportFailure(Exception e) =>
        e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException or NotSupportedException;

    /// <summary>After a large message, back to a buffer of the size this writer started with.</summary>
    private void Shrink()
    {
        if (_buffer.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(_initialSize);
        }
    }

    public void Discard() => _length = 0;

    /// <summary>What has been written and not sent.</summary>
    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

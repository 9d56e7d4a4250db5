using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text;

namespace Meshwork.Proxy.Forwarding;

/// <summary>A malformed or oversized HTTP/1.x message; the connection cannot go on.</summary>
internal sealed class HttpWireException(string message) : IOException(message);

/// <summary>Which connection of a relayed exchange a failure came from.</summary>
internal enum RelaySide { Downstream, Upstream }

/// <summary>A read, write or framing failure on one side of a relay.</summary>
internal sealed class RelayException(RelaySide side, string message, Exception? inner = null) : IOException(message, inner)
{
    public RelaySide Side { get; } = side;
}

/// <summary>How an HTTP/1.x message body is delimited (RFC 9112 §6.3).</summary>
internal enum BodyFraming { None, ContentLength, Chunked, UntilClose }

/// <summary>
/// A buffered reader over a stream for HTTP/1.x: finds a message head, then hands out body bytes by
/// framing. One per connection side; its buffer is pooled and returned on dispose.
/// </summary>
internal sealed class HttpInput : IDisposable
{
    public const int MaxHeadLength = 64 * 1024;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _start, _end;

    public HttpInput(Stream stream, RelaySide side) { Stream = stream; Side = side; }

    public Stream Stream { get; }
    public RelaySide Side { get; }
    public int Buffered => _end - _start;
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(_start, _end - _start);
    public void Consume(int count) { _start += count; if (_start == _end) _start = _end = 0; }

    /// <summary>Reads more bytes; false at end of stream.</summary>
    /// <remarks>
    /// Not an async method itself: a read the stream completes at once costs no state machine, and one it
    /// completes later awaits in <see cref="FillLaterAsync"/>, whose box is pooled. Failures still surface
    /// from the returned task, never from the call.
    /// </remarks>
    public ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        try { MakeRoom(); }
        catch (RelayException e) { return ValueTask.FromException<bool>(e); }
        ValueTask<int> read;
        int n;
        try
        {
            read = Stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (!read.IsCompleted) return FillLaterAsync(read);
            n = read.GetAwaiter().GetResult();
        }
        catch (Exception e) { return ValueTask.FromException<bool>(IsTransportFailure(e) ? new RelayException(Side, e.Message, e) : e); }
        _end += n;
        return new ValueTask<bool>(n > 0);
    }

    private static bool IsTransportFailure(Exception e) => e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FillLaterAsync(ValueTask<int> pending)
    {
        int read;
        try { read = await pending.ConfigureAwait(false); }
        catch (Exception e) when (IsTransportFailure(e)) { throw new RelayException(Side, e.Message, e); }
        _end += read;
        return read > 0;
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
    /// stream ended cleanly before its first byte.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var span = Span;
            // Tolerate empty lines before a request (RFC 9112 §2.2).
            while (span.Length >= 2 && span[0] == '\r' && span[1] == '\n') { Consume(2); span = Span; }
            var from = Math.Max(0, scanned - 3);
            var at = span[from..].IndexOf("\r\n\r\n"u8);
            if (at >= 0) return from + at + 4;
            scanned = span.Length;
            if (scanned > MaxHeadLength) throw new RelayException(Side, "message head too large");
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                if (Buffered == 0) return 0;
                throw new RelayException(Side, "the connection closed in the middle of a message head");
            }
        }
    }

    /// <summary>Copies one body to <paramref name="output"/> as it is framed (chunked stays chunked); returns the payload bytes.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<long> CopyBodyAsync(BodyFraming framing, long length, HttpOutput output, CancellationToken cancellationToken)
    {
        switch (framing)
        {
            case BodyFraming.ContentLength:
                await CopyExactAsync(length, output, cancellationToken).ConfigureAwait(false);
                return length;
            case BodyFraming.Chunked:
                return await CopyChunkedAsync(output, cancellationToken).ConfigureAwait(false);
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask CopyExactAsync(long remaining, HttpOutput output, CancellationToken cancellationToken)
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

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var at = Span.IndexOf("\r\n"u8);
            if (at >= 0) return at + 2;
            if (Buffered > 8 * 1024) throw new RelayException(Side, "chunk line too long");
            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
                throw new RelayException(Side, "the connection closed in the middle of a chunked body");
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<long> CopyChunkedAsync(HttpOutput output, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var lineLength = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            var line = Span[..(lineLength - 2)];
            var semicolon = line.IndexOf((byte)';');
            var hex = (semicolon >= 0 ? line[..semicolon] : line).Trim((byte)' ');
            if (hex.IsEmpty || hex.Length > 15 || !Utf8Parser.TryParse(hex, out long size, out var used, 'x') || used != hex.Length || size < 0)
                throw new RelayException(Side, "bad chunk size");
            await output.WriteAsync(Span[..lineLength], cancellationToken).ConfigureAwait(false);
            Consume(lineLength);
            if (size == 0)
            {
                // Trailer section, through the empty line.
                while (true)
                {
                    var trailer = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                    await output.WriteAsync(Span[..trailer], cancellationToken).ConfigureAwait(false);
                    Consume(trailer);
                    if (trailer == 2) return total;
                }
            }
            await CopyExactAsync(size + 2, output, cancellationToken).ConfigureAwait(false);
            total += size;
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

/// <summary>A write buffer over a stream: a message head and a small body leave in one write (one TLS record).</summary>
internal sealed class HttpOutput : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
    private int _length;

    public HttpOutput(Stream stream, RelaySide side) { Stream = stream; Side = side; }

    public Stream Stream { get; }
    public RelaySide Side { get; }

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

    /// <summary>After a large message, back to a buffer of the usual size.</summary>
    private void Shrink()
    {
        if (_buffer.Length > 64 * 1024)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
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

/// <summary>One parsed HTTP/1.x message head: offsets into the bytes it was parsed from.</summary>
internal ref struct HttpHead
{
    public ReadOnlySpan<byte> Bytes;
    /// <summary>Request: method, target. Response: status code text, reason.</summary>
    public ReadOnlySpan<byte> First, Second;
    public bool Http10;
    public int StatusCode;
    public BodyFraming Framing;
    public long ContentLength;
    public bool ConnectionClose, KeepAlive, ExpectContinue, Upgrade;
    /// <summary>Where the header lines start (after the start line's CRLF).</summary>
    public int HeadersStart;

    /// <summary>Parses a request head (start line + fields); throws <see cref="HttpWireException"/> on anything malformed.</summary>
    public static HttpHead ParseRequest(ReadOnlySpan<byte> head)
    {
        var h = new HttpHead { Bytes = head };
        var lineEnd = head.IndexOf("\r\n"u8);
        var line = head[..lineEnd];
        var sp1 = line.IndexOf((byte)' ');
        var sp2 = line.LastIndexOf((byte)' ');
        if (sp1 <= 0 || sp2 <= sp1 + 1) throw new HttpWireException("bad request line");
        h.First = line[..sp1];
        h.Second = line[(sp1 + 1)..sp2];
        var version = line[(sp2 + 1)..];
        if (version.SequenceEqual("HTTP/1.1"u8)) h.Http10 = false;
        else if (version.SequenceEqual("HTTP/1.0"u8)) h.Http10 = true;
        else throw new HttpWireException("unsupported HTTP version");
        h.HeadersStart = lineEnd + 2;
        h.ParseFields(isRequest: true);
        return h;
    }

    public static HttpHead ParseResponse(ReadOnlySpan<byte> head)
    {
        var h = new HttpHead { Bytes = head };
        var lineEnd = head.IndexOf("\r\n"u8);
        var line = head[..lineEnd];
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != ' ') throw new HttpWireException("bad status line");
        h.Http10 = line[7] == '0';
        h.First = line.Slice(9, 3);
        if (!Utf8Parser.TryParse(h.First, out int status, out var used) || used != 3) throw new HttpWireException("bad status code");
        h.StatusCode = status;
        h.Second = line.Length > 13 ? line[13..] : default;
        h.HeadersStart = lineEnd + 2;
        h.ParseFields(isRequest: false);
        return h;
    }

    private void ParseFields(bool isRequest)
    {
        var rest = Bytes[HeadersStart..];
        var chunked = false;
        var hasLength = false;
        while (TryTakeField(ref rest, out var line, out var name))
        {
            if (name.IsEmpty) throw new HttpWireException("bad header field");
            var value = ValueOf(line, name);
            switch (name.Length)
            {
                case 14 when Ascii.EqualsIgnoreCase(name, "Content-Length"u8):
                    if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0
                        || (hasLength && length != ContentLength))
                        throw new HttpWireException("bad Content-Length");
                    ContentLength = length; hasLength = true;
                    break;
                case 17 when Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8):
                    // Chunked must be the final coding (RFC 9112 §6.1).
                    chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8);
                    if (!chunked) throw new HttpWireException("unsupported Transfer-Encoding");
                    break;
                case 10 when Ascii.EqualsIgnoreCase(name, "Connection"u8):
                    if (ContainsToken(value, "close"u8)) ConnectionClose = true;
                    if (ContainsToken(value, "keep-alive"u8)) KeepAlive = true;
                    if (ContainsToken(value, "upgrade"u8)) Upgrade = true;
                    break;
                case 7 when Ascii.EqualsIgnoreCase(name, "Upgrade"u8):
                    Upgrade = true;
                    break;
                case 6 when isRequest && Ascii.EqualsIgnoreCase(name, "Expect"u8):
                    ExpectContinue = Ascii.EqualsIgnoreCase(value, "100-continue"u8);
                    break;
            }
        }
        if (chunked) Framing = BodyFraming.Chunked;
        else if (hasLength) Framing = ContentLength > 0 || !isRequest ? BodyFraming.ContentLength : BodyFraming.None;
        else Framing = isRequest ? BodyFraming.None : BodyFraming.UntilClose;
    }

    /// <summary>A field's value by name (first occurrence), or empty.</summary>
    public readonly ReadOnlySpan<byte> Field(ReadOnlySpan<byte> wanted)
    {
        var rest = Bytes[HeadersStart..];
        while (TryTakeField(ref rest, out var line, out var name))
        {
            if (name.Length == wanted.Length && Ascii.EqualsIgnoreCase(name, wanted)) return ValueOf(line, name);
        }
        return default;
    }

    /// <summary>
    /// Takes the next field line (with its CRLF) off <paramref name="rest"/>, the fields of a head from
    /// <see cref="HeadersStart"/>; false at the blank line that ends them. <paramref name="name"/> is empty
    /// for a line without one (parsing refuses such a head).
    /// </summary>
    public static bool TryTakeField(scoped ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name)
    {
        var end = rest.IndexOf("\r\n"u8);
        if (end <= 0)
        {
            line = name = default;
            return false;
        }
        line = rest[..(end + 2)];
        rest = rest[(end + 2)..];
        var colon = line.IndexOf((byte)':');
        name = colon > 0 && colon < end ? line[..colon] : default;
        return true;
    }

    /// <summary>The value of a field line taken by <see cref="TryTakeField"/>, without surrounding white space.</summary>
    public static ReadOnlySpan<byte> ValueOf(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name) =>
        line[(name.Length + 1)..^2].Trim((byte)' ').Trim((byte)'\t');

    /// <summary>
    /// Copies the header fields to <paramref name="output"/>, minus hop-by-hop fields (RFC 9110 §7.6.1)
    /// and <paramref name="drop"/> (a name) and fields whose name starts with <paramref name="dropPrefix"/>;
    /// framing fields stay, as the body is relayed as framed.
    /// </summary>
    public readonly void CopyFields(HttpOutput output, ReadOnlySpan<byte> drop, ReadOnlySpan<byte> dropPrefix = default)
    {
        var rest = Bytes[HeadersStart..];
        while (TryTakeField(ref rest, out var field, out var name))
        {
            if (IsHopByHop(name) || (!drop.IsEmpty && name.Length == drop.Length && Ascii.EqualsIgnoreCase(name, drop))) continue;
            if (!dropPrefix.IsEmpty && name.Length >= dropPrefix.Length && Ascii.EqualsIgnoreCase(name[..dropPrefix.Length], dropPrefix)) continue;
            output.Append(field);
        }
    }

    internal static bool IsHopByHop(ReadOnlySpan<byte> name) => name.Length switch
    {
        2 => Ascii.EqualsIgnoreCase(name, "TE"u8),
        6 => Ascii.EqualsIgnoreCase(name, "Expect"u8),
        7 => Ascii.EqualsIgnoreCase(name, "Trailer"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8),
        10 => Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8),
        16 => Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8),
        19 => Ascii.EqualsIgnoreCase(name, "Proxy-Authorization"u8),
        18 => Ascii.EqualsIgnoreCase(name, "Proxy-Authenticate"u8),
        _ => false,
    };

    private static bool ContainsToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
            if (Ascii.EqualsIgnoreCase(value[range].Trim((byte)' '), token)) return true;
        return false;
    }

    /// <summary>True when the response to this request carries no body whatever its fields say.</summary>
    public static bool ResponseHasNoBody(ReadOnlySpan<byte> method, int status) =>
        status is (>= 100 and < 200) or 204 or 304 || method.SequenceEqual("HEAD"u8);
}

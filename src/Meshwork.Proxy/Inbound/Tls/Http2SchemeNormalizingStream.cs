namespace Meshwork.Proxy.Inbound.Tls;

/// <summary>
/// The decrypted side of an inbound mTLS connection that negotiated h2, as Kestrel's HTTP/2 stage reads it.
/// </summary>
/// <remarks>
/// Kestrel takes the TLS this proxy terminated (the <c>ITlsConnectionFeature</c> it is given) to mean the
/// transport scheme is "https", and resets every stream whose <c>:scheme</c> differs with PROTOCOL_ERROR
/// (KestrelServerOptions.AllowAlternateSchemes is off). But in a mesh the mTLS belongs to the mesh, not to
/// the app: client sidecars (Envoy's, and this proxy's own HttpClient sending to http://endpoint) send the
/// app's scheme, ":scheme: http". So every request they sent over h2 was refused.
/// <para>
/// This stream rewrites the HPACK static-table reference for ":scheme: http" (index 6, the byte 0x86, how
/// HttpClient, nghttp2/Envoy and Go encode it) to ":scheme: https" (index 7) in request header blocks: one
/// byte for one byte, so frame lengths stay right, and static references leave the HPACK dynamic table
/// untouched. It walks frames and HPACK representations (it never decodes strings), so a 0x86 inside a
/// literal or a DATA frame is never touched. The app never sees the scheme either way (the inbound
/// forwarder speaks http to it); the request's identity still comes from the certificate.
/// </para>
/// </remarks>
internal sealed class Http2SchemeNormalizingStream(Stream inner) : Stream
{
    private const byte SchemeHttp = 0x86, SchemeHttps = 0x87;
    private const byte FrameHeaders = 0x1, FrameContinuation = 0x9;
    private const byte FlagPadded = 0x8, FlagPriority = 0x20;

    private enum Hpack : byte { Start, SkipInteger, StringLength, StringLengthMore, StringBytes, Lost }

    // Frame layer.
    private int _prefaceLeft = 24;
    private readonly byte[] _frameHeader = new byte[9];
    private int _headerFilled;
    private bool _inPayload;
    private int _payloadLeft;
    private bool _inBlock;
    private bool _padLengthPending;
    private int _priorityLeft;
    private int _padding;

    // HPACK representation layer.
    private Hpack _state;
    private Hpack _afterInteger;
    private bool _valueFollows;
    private long _stringLeft;
    private int _shift;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = inner.ReadAsync(buffer, cancellationToken);
        if (!read.IsCompletedSuccessfully) return ReadLaterAsync(read, buffer);
        var n = read.Result;
        Scan(buffer.Span[..n]);
        return new ValueTask<int>(n);
    }

    private async ValueTask<int> ReadLaterAsync(ValueTask<int> read, Memory<byte> buffer)
    {
        var n = await read.ConfigureAwait(false);
        Scan(buffer.Span[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => throw new NotSupportedException("synchronous I/O is not used");
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O is not used");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O is not used");
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Follows the client's byte stream (preface, then frames) and rewrites in place.</summary>
    internal void Scan(Span<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (_prefaceLeft > 0)
            {
                var n = Math.Min(_prefaceLeft, data.Length - i);
                _prefaceLeft -= n; i += n;
                continue;
            }
            if (!_inPayload)
            {
                _frameHeader[_headerFilled++] = data[i++];
                if (_headerFilled < _frameHeader.Length) continue;
                _headerFilled = 0;
                _payloadLeft = (_frameHeader[0] << 16) | (_frameHeader[1] << 8) | _frameHeader[2];
                var type = _frameHeader[3];
                var flags = _frameHeader[4];
                _inBlock = type is FrameHeaders or FrameContinuation;
                _padLengthPending = type == FrameHeaders && (flags & FlagPadded) != 0;
                _priorityLeft = type == FrameHeaders && (flags & FlagPriority) != 0 ? 5 : 0;
                _padding = 0;
                if (type == FrameHeaders) { _state = Hpack.Start; _valueFollows = false; }
                _inPayload = _payloadLeft > 0;
                continue;
            }
            var available = Math.Min(_payloadLeft, data.Length - i);
            int used;
            if (!_inBlock) used = available;
            else if (_padLengthPending) { _padding = data[i]; _padLengthPending = false; used = 1; }
            else if (_priorityLeft > 0) { used = Math.Min(_priorityLeft, available); _priorityLeft -= used; }
            else
            {
                var blockLeft = _payloadLeft - _padding;
                if (blockLeft <= 0) used = available;   // trailing padding
                else
                {
                    used = Math.Min(blockLeft, available);
                    Walk(data.Slice(i, used));
                }
            }
            i += used;
            _payloadLeft -= used;
            if (_payloadLeft == 0) _inPayload = false;
        }
    }

    /// <summary>Steps over HPACK representations (RFC 7541 §6) without decoding them; rewrites indexed field 6.</summary>
    private void Walk(Span<byte> block)
    {
        for (var j = 0; j < block.Length; j++)
        {
            var b = block[j];
            switch (_state)
            {
                case Hpack.Start:
                    if ((b & 0x80) != 0)
                    {
                        // Indexed header field (7-bit index).
                        if (b == SchemeHttp) block[j] = SchemeHttps;
                        if ((b & 0x7F) == 0x7F) { _state = Hpack.SkipInteger; _afterInteger = Hpack.Start; }
                    }
                    else if ((b & 0xE0) == 0x20)
                    {
                        // Dynamic table size update (5-bit).
                        if ((b & 0x1F) == 0x1F) { _state = Hpack.SkipInteger; _afterInteger = Hpack.Start; }
                    }
                    else
                    {
                        // Literal field: with incremental indexing (6-bit name index), or without / never indexed (4-bit).
                        var mask = (b & 0x40) != 0 ? 0x3F : 0x0F;
                        var index = b & mask;
                        _valueFollows = index == 0;   // a literal name, then the value
                        if (index == mask) { _state = Hpack.SkipInteger; _afterInteger = Hpack.StringLength; }
                        else _state = Hpack.StringLength;
                    }
                    break;
                case Hpack.SkipInteger:
                    if ((b & 0x80) == 0) _state = _afterInteger;
                    break;
                case Hpack.StringLength:
                    _stringLeft = b & 0x7F;
                    if (_stringLeft == 0x7F) { _shift = 0; _state = Hpack.StringLengthMore; }
                    else EndLength();
                    break;
                case Hpack.StringLengthMore:
                    _stringLeft += (long)(b & 0x7F) << _shift;
                    _shift += 7;
                    if ((b & 0x80) == 0) EndLength();
                    else if (_shift > 28) _state = Hpack.Lost;   // not a length any peer sends: leave the rest alone
                    break;
                case Hpack.StringBytes:
                    var n = (int)Math.Min(_stringLeft, block.Length - j);
                    j += n - 1;
                    _stringLeft -= n;
                    if (_stringLeft == 0) EndString();
                    break;
                case Hpack.Lost:
                    return;
            }
        }
    }

    private void EndLength()
    {
        if (_stringLeft == 0) EndString();
        else _state = Hpack.StringBytes;
    }

    private void EndString()
    {
        if (_valueFollows) { _valueFollows = false; _state = Hpack.StringLength; }
        else _state = Hpack.Start;
    }
}

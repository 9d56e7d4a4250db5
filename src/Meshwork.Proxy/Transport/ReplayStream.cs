namespace Meshwork.Proxy.Transport;

/// <summary>
/// A stream that first returns bytes already read from <paramref name="inner"/> (to decide TLS or
/// plaintext, HTTP/1.1 or HTTP/2) and then reads on; writes go straight through. Sniffing reads and
/// replays rather than peeking, so it waits for the bytes it needs without polling.
/// </summary>
internal sealed class ReplayStream(Stream inner, byte[] prefix, int prefixLength) : Stream
{
    private int _offset;

    /// <summary>The stream read after the replayed bytes.</summary>
    public Stream Inner => inner;

    /// <summary>
    /// The replayed bytes not read yet, handed over to a reader that takes the socket itself (the mesh TLS
    /// over the proxy's own socket); this stream then replays nothing. Valid while the sniffed buffer is.
    /// </summary>
    public ReadOnlyMemory<byte> TakeUnread()
    {
        var unread = prefix.AsMemory(_offset, prefixLength - _offset);
        _offset = prefixLength;
        return unread;
    }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_offset >= prefixLength) return inner.ReadAsync(buffer, cancellationToken);
        var n = Math.Min(buffer.Length, prefixLength - _offset);
        prefix.AsSpan(_offset, n).CopyTo(buffer.Span);
        _offset += n;
        return ValueTask.FromResult(n);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override void Flush() => inner.Flush();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}

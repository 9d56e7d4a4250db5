using System.Buffers.Binary;
using System.IO.Compression;

namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy.HeaderCompression;

/// <summary>
/// Reads the header blocks a SPDY/3 peer sends: one zlib stream (RFC 1950) per connection and
/// direction, compressed against <see cref="SpdyDictionary"/>, with a sync flush ending each block.
/// .NET's inflaters take no preset dictionary, so the dictionary is fed first as a stored deflate
/// block (RFC 1951, section 3.2.4): the inflater's window then holds it exactly as a preset one would,
/// and its echo is read and dropped once. The zlib header of the peer's first block is checked and
/// stripped, since the inflater reads raw deflate.
/// </summary>
public sealed class HeaderInflater : IDisposable
{
    private readonly InputFeed _feed = new();
    private readonly DeflateStream _inflater;
    private bool _headerRead;

    public HeaderInflater()
    {
        var dictionary = SpdyDictionary.Bytes.Span;
        var stored = new byte[5 + dictionary.Length];
        // BFINAL 0, BTYPE 00 (stored), then LEN and its one's complement NLEN, little-endian.
        BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(1), (ushort)dictionary.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(3), (ushort)~dictionary.Length);
        dictionary.CopyTo(stored.AsSpan(5));
        _feed.Append(stored);
        _inflater = new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
        var echo = new byte[dictionary.Length];
        _inflater.ReadExactly(echo);
    }

    /// <summary>
    /// Inflates one header block and reads its names and values, refusing one whose inflated form
    /// passes <paramref name="limit"/> bytes. Throws <see cref="SpdyProtocolException"/> for a stream
    /// that is not zlib, names another dictionary, is corrupt, or ends before the block does.
    /// </summary>
    public IReadOnlyDictionary<string, string> Inflate(ReadOnlySpan<byte> compressed, int limit)
    {
        if (!_headerRead)
        {
            compressed = StripZlibHeader(compressed);
            _headerRead = true;
        }
        _feed.Append(compressed.ToArray());
        return HeaderBlock.Read(ReadInflated, limit);
    }

    private void ReadInflated(Span<byte> into)
    {
        try
        {
            var read = 0;
            while (read < into.Length)
            {
                var n = _inflater.Read(into[read..]);
                if (n == 0) throw new SpdyProtocolException("a header block ends before the names and values it counts");
                read += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new SpdyProtocolException($"a header block is not valid deflate data: {e.Message}");
        }
    }

    /// <summary>RFC 1950, section 2.2: CMF (deflate, window at most 32 KiB), FLG with its check bits, and a DICTID when FDICT is set.</summary>
    private static ReadOnlySpan<byte> StripZlibHeader(ReadOnlySpan<byte> block)
    {
        if (block.Length < 2 || (block[0] & 0x0F) != 8 || block[0] >> 4 > 7 || ((block[0] << 8) | block[1]) % 31 != 0)
        {
            throw new SpdyProtocolException("the first header block does not start a zlib stream");
        }
        if ((block[1] & 0x20) == 0) return block[2..];
        if (block.Length < 6 || BinaryPrimitives.ReadUInt32BigEndian(block[2..]) != SpdyDictionary.Id)
        {
            throw new SpdyProtocolException("the header blocks are compressed against a dictionary other than SPDY/3's");
        }
        return block[6..];
    }

    public void Dispose()
    {
        _inflater.Dispose();
    }

    /// <summary>The compressed bytes given so far and not yet read by the inflater; empty means "no more for now".</summary>
    private sealed class InputFeed : Stream
    {
        private readonly Queue<byte[]> _chunks = new();
        private int _offset;

        public void Append(byte[] chunk)
        {
            if (chunk.Length > 0) _chunks.Enqueue(chunk);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (!_chunks.TryPeek(out var chunk)) return 0;
            var n = Math.Min(buffer.Length, chunk.Length - _offset);
            chunk.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            if (_offset == chunk.Length)
            {
                _chunks.Dequeue();
                _offset = 0;
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

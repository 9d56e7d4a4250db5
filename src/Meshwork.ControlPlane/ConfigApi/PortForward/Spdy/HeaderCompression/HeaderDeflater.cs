using System.Buffers.Binary;

namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy.HeaderCompression;

/// <summary>
/// Writes the header blocks this side sends as one zlib stream (RFC 1950) of stored deflate blocks
/// (RFC 1951, section 3.2.4): a valid stream that any inflater reads, whatever dictionary it was
/// preset with, since a stored block never refers back into the window. Replies carry a few bytes of
/// headers, so compressing them would save nothing worth a deflater.
/// </summary>
public sealed class HeaderDeflater
{
    /// <summary>CMF 0x78 (deflate, 32 KiB window) and FLG 0x01 (no dictionary, fastest; 0x7801 is a multiple of 31).</summary>
    private static readonly byte[] ZlibHeader = [0x78, 0x01];

    private bool _headerWritten;

    /// <summary>
    /// The marker a sync flush ends with (zlib's Z_SYNC_FLUSH): an empty stored block. An inflater may
    /// hold a stored block's bytes back until the next block starts (Go's compress/flate does), so
    /// without it the peer would read a header block only once the next frame's arrived.
    /// </summary>
    private static readonly byte[] SyncFlush = [0x00, 0x00, 0x00, 0xFF, 0xFF];

    private const int StoredHeaderLength = 5;

    /// <summary>The compressed form of one header block: a stored block, then a sync flush.</summary>
    public byte[] Deflate(ReadOnlySpan<byte> block)
    {
        if (block.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(block), "a stored block holds at most 65535 bytes");
        var prefix = _headerWritten ? 0 : ZlibHeader.Length;
        var output = new byte[prefix + StoredHeaderLength + block.Length + SyncFlush.Length];
        if (!_headerWritten) ZlibHeader.CopyTo(output, 0);
        _headerWritten = true;
        // BFINAL 0 (more blocks follow on later frames), BTYPE 00; then LEN and NLEN.
        output[prefix] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(prefix + 1), (ushort)block.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(output.AsSpan(prefix + 3), (ushort)~block.Length);
        block.CopyTo(output.AsSpan(prefix + StoredHeaderLength));
        SyncFlush.CopyTo(output, prefix + StoredHeaderLength + block.Length);
        return output;
    }
}

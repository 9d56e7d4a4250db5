using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;
using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy.HeaderCompression;

namespace Meshwork.ControlPlane.Tests.ConfigApi.PortForward;

/// <summary>
/// Header blocks on their zlib stream: what a client compressed against SPDY/3's dictionary is read
/// back across frames, a stream naming another dictionary is refused, and what this side writes is
/// a zlib stream any inflater reads.
/// </summary>
public sealed class HeaderCompressionTests
{
    /// <summary>
    /// kubectl's error and data stream headers for request 0, compressed by zlib itself (level 9, the SPDY/3
    /// dictionary preset, a sync flush after each block) as spdystream's compressor does: one stream, two blocks.
    /// </summary>
    private const string FirstBlock = "78F9E3C6A7C202253A48F95B044EEA96069606409AB308125F99A074CC68004E892545A989B9D0C2863515141500000000FFFF";
    private const string SecondBlock = "225333A8A44A04000000FFFF";

    [Fact]
    public void The_dictionary_is_spdy3s_1423_bytes()
    {
        var dictionary = SpdyDictionary.Bytes.Span;

        Assert.Equal(1423, dictionary.Length);
        Assert.Equal(7u, BinaryPrimitives.ReadUInt32BigEndian(dictionary));
        Assert.Equal("options", Encoding.ASCII.GetString(dictionary[4..11]));
        Assert.EndsWith(",enq=0.", Encoding.ASCII.GetString(dictionary), StringComparison.Ordinal);
    }

    [Fact]
    public void Blocks_compressed_against_the_dictionary_are_read_back_on_one_stream()
    {
        using var inflater = new HeaderInflater();

        var error = inflater.Inflate(Convert.FromHexString(FirstBlock), SpdyFrameReader.MaxHeaderBlockBytes);
        var data = inflater.Inflate(Convert.FromHexString(SecondBlock), SpdyFrameReader.MaxHeaderBlockBytes);

        Assert.Equal("port=9090 requestid=0 streamtype=error", Describe(error));
        Assert.Equal("port=9090 requestid=0 streamtype=data", Describe(data));
    }

    private static string Describe(IReadOnlyDictionary<string, string> headers) =>
        string.Join(' ', headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}={h.Value}"));

    [Fact]
    public void A_stream_compressed_against_another_dictionary_is_refused()
    {
        var block = Convert.FromHexString(FirstBlock);
        block[5] ^= 0xFF; // the DICTID's last byte

        using var inflater = new HeaderInflater();

        var refused = Assert.Throws<SpdyProtocolException>(() => inflater.Inflate(block, SpdyFrameReader.MaxHeaderBlockBytes));
        Assert.Contains("dictionary", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_block_cut_short_is_refused()
    {
        var block = Convert.FromHexString(FirstBlock);

        using var inflater = new HeaderInflater();

        Assert.Throws<SpdyProtocolException>(() => inflater.Inflate(block.AsSpan(0, block.Length - 8), SpdyFrameReader.MaxHeaderBlockBytes));
    }

    [Fact]
    public void What_this_side_writes_is_a_zlib_stream_that_plain_zlib_reads()
    {
        var deflater = new HeaderDeflater();
        var first = HeaderBlock.Write([new("streamtype", "data")]);
        var second = HeaderBlock.Write([]);

        var stream = new MemoryStream(deflater.Deflate(first).Concat(deflater.Deflate(second)).ToArray());
        using var zlib = new ZLibStream(stream, CompressionMode.Decompress);
        var read = new byte[first.Length + second.Length];
        zlib.ReadExactly(read);

        Assert.Equal(first.Concat(second).ToArray(), read);
    }
}

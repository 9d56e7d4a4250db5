using System.Text;
using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

namespace Meshwork.ControlPlane.Tests.ConfigApi.PortForward;

/// <summary>The SPDY/3 frame codec: every frame kubectl and this server exchange survives a round trip, in whole reads or byte by byte; a malformed or oversized frame is refused.</summary>
public sealed class SpdyFrameTests
{
    private static readonly Dictionary<string, string> ErrorStream = new() { ["streamtype"] = "error", ["port"] = "9090", ["requestid"] = "0" };
    private static readonly Dictionary<string, string> DataStream = new() { ["streamtype"] = "data", ["port"] = "9090", ["requestid"] = "0" };

    private static SpdyFrame[] Conversation() =>
    [
        new SynStreamFrame(1, 0, 0, false, ErrorStream),
        new SynStreamFrame(3, 0, 2, false, DataStream),
        new SynReplyFrame(1, false, new Dictionary<string, string>()),
        new HeadersFrame(3, false, new Dictionary<string, string> { ["x-note"] = "a\0b" }),
        new DataFrame(3, false, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n")),
        new DataFrame(1, true, ReadOnlyMemory<byte>.Empty),
        new RstStreamFrame(3, SpdyResetStatus.Cancel),
        new PingFrame(1),
        new WindowUpdateFrame(3, 65536),
        new SettingsFrame(2),
        new GoAwayFrame(3, SpdyGoAwayStatus.Ok),
    ];

    [Fact]
    public async Task Every_frame_survives_a_round_trip_with_its_header_blocks_on_one_zlib_stream()
    {
        var bytes = Encode(Conversation());

        var read = await ReadAllAsync(new MemoryStream(bytes));

        Assert.Equal(Conversation().Select(Describe), read);
    }

    [Fact]
    public async Task Frames_arriving_a_byte_at_a_time_are_read_whole()
    {
        var bytes = Encode(Conversation());

        var read = await ReadAllAsync(new TrickleStream(bytes));

        Assert.Equal(Conversation().Select(Describe), read);
    }

    [Theory]
    [InlineData("80030003 00000004 00000001", "RST_STREAM shorter than its 8 bytes")]
    [InlineData("80030003 00000008 00000001 00000000", "RST_STREAM with status 0")]
    [InlineData("80020006 00000004 00000001", "a control frame of SPDY/2")]
    [InlineData("8003000a 00000004 00000000", "an unknown control frame type")]
    [InlineData("80030006 01000004 00000001", "PING with a flag")]
    [InlineData("80030009 00000008 00000001 00000000", "WINDOW_UPDATE of 0")]
    [InlineData("00000000 00000000", "DATA on stream 0")]
    [InlineData("00000001 02000000", "DATA with an unknown flag")]
    [InlineData("80030006 00000004 0000", "a frame cut short")]
    [InlineData("8003", "a header cut short")]
    [InlineData("80030001 0000000e 00000001 00000000 0000 12345678", "SYN_STREAM whose header block is not zlib")]
    [InlineData("80030001 0000000a 00000001 00000000 0000", "SYN_STREAM with no header block")]
    public async Task A_malformed_frame_is_refused(string hex, string what)
    {
        var bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

        var refused = await Assert.ThrowsAsync<SpdyProtocolException>(() => ReadAllAsync(new MemoryStream(bytes)));

        Assert.False(string.IsNullOrEmpty(refused.Message), what);
    }

    [Fact]
    public async Task A_data_frame_larger_than_accepted_is_refused_before_its_payload_is_read()
    {
        // Stream 1, length 2^24-1: only the 8-byte header is there, so reading the payload would fail differently.
        var bytes = Convert.FromHexString("0000000100ffffff");

        var refused = await Assert.ThrowsAsync<SpdyProtocolException>(() => ReadAllAsync(new MemoryStream(bytes)));

        Assert.Contains("larger than", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_header_block_is_refused()
    {
        var huge = new Dictionary<string, string> { ["streamtype"] = "data", ["port"] = new string('9', SpdyFrameReader.MaxHeaderBlockBytes) };
        var bytes = Encode([new SynStreamFrame(1, 0, 0, false, huge)]);

        var refused = await Assert.ThrowsAsync<SpdyProtocolException>(() => ReadAllAsync(new MemoryStream(bytes)));

        Assert.Contains("oversized", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00010000", "a count of 65536 pairs")]
    [InlineData("00000001 7fffffff", "a name of 2 GiB")]
    [InlineData("00000001 00000004 706f7274 00100000", "a value of 1 MiB")]
    [InlineData("00000001 00000004 504f5254 00000000", "an uppercase name")]
    [InlineData("00000002 00000001 61 00000000 00000001 61 00000000", "a name twice")]
    [InlineData("00000001 00000000 00000000", "an empty name")]
    public void A_header_block_that_breaks_its_rules_is_refused_before_anything_large_is_allocated(string hex, string what)
    {
        var bytes = Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
        var at = 0;
        HeaderBlock.Fill fill = into =>
        {
            if (at + into.Length > bytes.Length) throw new SpdyProtocolException("the block ends early");
            bytes.AsSpan(at, into.Length).CopyTo(into);
            at += into.Length;
        };

        var refused = Assert.Throws<SpdyProtocolException>(() => HeaderBlock.Read(fill, 4096));

        Assert.DoesNotContain("ends early", refused.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    private static byte[] Encode(IEnumerable<SpdyFrame> frames)
    {
        var writer = new SpdyFrameWriter(Stream.Null);
        return [.. frames.SelectMany(frame => writer.Encode(frame))];
    }

    private static async Task<List<string>> ReadAllAsync(Stream input)
    {
        using var reader = new SpdyFrameReader(input);
        var frames = new List<string>();
        while (await reader.ReadAsync(CancellationToken.None) is { } frame) frames.Add(Describe(frame));
        return frames;
    }

    /// <summary>A frame as text, headers in order, so that two lists of frames compare as values.</summary>
    private static string Describe(SpdyFrame frame) => frame switch
    {
        SynStreamFrame s => $"SYN_STREAM {s.StreamId} assoc={s.AssociatedStreamId} pri={s.Priority} fin={s.Fin} {Headers(s.Headers)}",
        SynReplyFrame r => $"SYN_REPLY {r.StreamId} fin={r.Fin} {Headers(r.Headers)}",
        HeadersFrame h => $"HEADERS {h.StreamId} fin={h.Fin} {Headers(h.Headers)}",
        DataFrame d => $"DATA {d.StreamId} fin={d.Fin} {Encoding.ASCII.GetString(d.Data.Span)}",
        _ => frame.ToString(),
    };

    private static string Headers(IReadOnlyDictionary<string, string> headers) =>
        string.Join(",", headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}={h.Value}"));

    /// <summary>Hands out one byte per read, as a tunnel may split frames anywhere.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}

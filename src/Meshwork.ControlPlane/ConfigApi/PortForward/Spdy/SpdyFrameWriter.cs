using System.Buffers.Binary;
using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy.HeaderCompression;

namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

/// <summary>
/// Writes SPDY/3 frames to a byte stream, one whole frame per write and one writer at a time: the
/// streams of a connection share it, and the header blocks share one zlib stream whose blocks must
/// go out in the order they were compressed.
/// </summary>
public sealed class SpdyFrameWriter
{
    public const int HeaderLength = 8;

    private static readonly IReadOnlyDictionary<string, string> NoHeaders = new Dictionary<string, string>();

    private readonly Stream _output;
    private readonly HeaderDeflater _deflater = new();
    private readonly SemaphoreSlim _turn = new(1, 1);

    public SpdyFrameWriter(Stream output)
    {
        _output = output;
    }

    /// <summary>A SYN_REPLY with no headers: the stream is accepted (what a port-forward server answers).</summary>
    public static SynReplyFrame Accept(uint streamId) => new(streamId, false, NoHeaders);

    public async ValueTask WriteAsync(SpdyFrame frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var bytes = Encode(frame);
            await _output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>
    /// Writes a DATA frame whose payload already sits in <paramref name="frame"/> after
    /// <see cref="HeaderLength"/> bytes left free for the header, so relayed bytes are not copied again.
    /// </summary>
    public async ValueTask WriteDataAsync(uint streamId, bool fin, Memory<byte> frame, CancellationToken cancellationToken)
    {
        WriteDataHeader(frame.Span, streamId, fin, frame.Length - HeaderLength);
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>The frame's bytes; header blocks are compressed here, so call it in writing order.</summary>
    public byte[] Encode(SpdyFrame frame) => frame switch
    {
        DataFrame data => Data(data),
        SynStreamFrame syn => Control(SpdyControlType.SynStream, Flags(syn.Fin), [.. Word(syn.StreamId), .. Word(syn.AssociatedStreamId), (byte)(syn.Priority << 5), 0, .. Block(syn.Headers)]),
        SynReplyFrame reply => Control(SpdyControlType.SynReply, Flags(reply.Fin), [.. Word(reply.StreamId), .. Block(reply.Headers)]),
        HeadersFrame headers => Control(SpdyControlType.Headers, Flags(headers.Fin), [.. Word(headers.StreamId), .. Block(headers.Headers)]),
        RstStreamFrame reset => Control(SpdyControlType.RstStream, 0, [.. Word(reset.StreamId), .. Word((uint)reset.Status)]),
        SettingsFrame settings => Control(SpdyControlType.Settings, 0, [.. Word((uint)settings.Count), .. new byte[8 * settings.Count]]),
        PingFrame ping => Control(SpdyControlType.Ping, 0, Word(ping.Id)),
        GoAwayFrame goAway => Control(SpdyControlType.GoAway, 0, [.. Word(goAway.LastGoodStreamId), .. Word((uint)goAway.Status)]),
        WindowUpdateFrame update => Control(SpdyControlType.WindowUpdate, 0, [.. Word(update.StreamId), .. Word(update.Delta)]),
        _ => throw new ArgumentException($"no encoding for {frame.GetType().Name}", nameof(frame)),
    };

    private byte[] Block(IReadOnlyDictionary<string, string> headers) => _deflater.Deflate(HeaderBlock.Write(headers));

    private static byte Flags(bool fin) => fin ? SpdyFrame.FlagFin : (byte)0;

    private static byte[] Word(uint value)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, value);
        return word;
    }

    private static byte[] Control(SpdyControlType type, byte flags, byte[] payload)
    {
        var frame = new byte[HeaderLength + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, 0x8000_0000u | ((uint)SpdyFrame.Version << 16) | (ushort)type);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), ((uint)flags << 24) | (uint)payload.Length);
        payload.CopyTo(frame, HeaderLength);
        return frame;
    }

    private static byte[] Data(DataFrame data)
    {
        var frame = new byte[HeaderLength + data.Data.Length];
        data.Data.Span.CopyTo(frame.AsSpan(HeaderLength));
        WriteDataHeader(frame, data.StreamId, data.Fin, data.Data.Length);
        return frame;
    }

    private static void WriteDataHeader(Span<byte> frame, uint streamId, bool fin, int length)
    {
        if (length is < 0 or > 0xFFFFFF) throw new ArgumentOutOfRangeException(nameof(length), "a DATA frame carries at most 2^24-1 bytes");
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7FFF_FFFF);
        BinaryPrimitives.WriteUInt32BigEndian(frame[4..], ((uint)Flags(fin) << 24) | (uint)length);
    }
}

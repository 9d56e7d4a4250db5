using System.Buffers.Binary;
using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy.HeaderCompression;

namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

/// <summary>
/// Reads SPDY/3 frames (draft 3, section 2.2) from a byte stream: an 8-byte header (control bit,
/// version and type, or a stream id; then 8 bits of flags and a 24-bit length) and its payload.
/// Every length is bounded before anything is read into memory, and every control frame is checked
/// against its fixed layout; anything else ends the connection with <see cref="SpdyProtocolException"/>.
/// </summary>
public sealed class SpdyFrameReader : IDisposable
{
    /// <summary>The largest DATA payload accepted: kubectl copies in 32 KiB reads, so 1 MiB leaves room and bounds memory.</summary>
    public const int MaxDataLength = 1024 * 1024;

    /// <summary>The largest control frame accepted (its header block compressed).</summary>
    public const int MaxControlLength = 64 * 1024;

    /// <summary>The largest inflated header block accepted.</summary>
    public const int MaxHeaderBlockBytes = 16 * 1024;

    private readonly Stream _input;
    private readonly HeaderInflater _inflater = new();
    private readonly byte[] _header = new byte[8];
    private byte[] _payload = new byte[16 * 1024];

    public SpdyFrameReader(Stream input)
    {
        _input = input;
    }

    /// <summary>The next frame, or null when the input ends cleanly between frames.</summary>
    public async ValueTask<SpdyFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        var got = await _input.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (got == 0) return null;
        if (got < _header.Length) throw new SpdyProtocolException("the connection ended inside a frame header");
        var first = BinaryPrimitives.ReadUInt32BigEndian(_header);
        var second = BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(4));
        var flags = (byte)(second >> 24);
        var length = (int)(second & 0xFFFFFF);
        if ((first & 0x8000_0000) == 0)
        {
            var streamId = first & 0x7FFF_FFFF;
            if (streamId == 0) throw new SpdyProtocolException("a DATA frame names stream 0");
            if ((flags & ~SpdyFrame.FlagFin) != 0) throw new SpdyProtocolException($"a DATA frame carries unknown flags 0x{flags:x2}");
            if (length > MaxDataLength) throw new SpdyProtocolException($"a DATA frame of {length} bytes is larger than the {MaxDataLength} accepted");
            var data = await ReadPayloadAsync(length, cancellationToken).ConfigureAwait(false);
            return new DataFrame(streamId, (flags & SpdyFrame.FlagFin) != 0, data);
        }
        var version = (first >> 16) & 0x7FFF;
        if (version != SpdyFrame.Version) throw new SpdyProtocolException($"a control frame of SPDY version {version}; only version 3 is spoken here");
        if (length > MaxControlLength) throw new SpdyProtocolException($"a control frame of {length} bytes is larger than the {MaxControlLength} accepted");
        var payload = await ReadPayloadAsync(length, cancellationToken).ConfigureAwait(false);
        return ParseControl((SpdyControlType)(first & 0xFFFF), flags, payload.Span);
    }

    private async ValueTask<ReadOnlyMemory<byte>> ReadPayloadAsync(int length, CancellationToken cancellationToken)
    {
        if (_payload.Length < length) _payload = new byte[Math.Max(length, _payload.Length * 2)];
        try
        {
            await _input.ReadExactlyAsync(_payload.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new SpdyProtocolException("the connection ended inside a frame");
        }
        return _payload.AsMemory(0, length);
    }

    private SpdyFrame ParseControl(SpdyControlType type, byte flags, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case SpdyControlType.SynStream:
                Require(payload.Length > 10 && (flags & ~(SpdyFrame.FlagFin | SpdyFrame.FlagUnidirectional)) == 0, type);
                return new SynStreamFrame(StreamId(payload, type), BinaryPrimitives.ReadUInt32BigEndian(payload[4..]) & 0x7FFF_FFFF,
                    (byte)(payload[8] >> 5), (flags & SpdyFrame.FlagFin) != 0, _inflater.Inflate(payload[10..], MaxHeaderBlockBytes));
            case SpdyControlType.SynReply:
                Require(payload.Length > 4 && (flags & ~SpdyFrame.FlagFin) == 0, type);
                return new SynReplyFrame(StreamId(payload, type), (flags & SpdyFrame.FlagFin) != 0, _inflater.Inflate(payload[4..], MaxHeaderBlockBytes));
            case SpdyControlType.Headers:
                Require(payload.Length > 4 && (flags & ~SpdyFrame.FlagFin) == 0, type);
                return new HeadersFrame(StreamId(payload, type), (flags & SpdyFrame.FlagFin) != 0, _inflater.Inflate(payload[4..], MaxHeaderBlockBytes));
            case SpdyControlType.RstStream:
                Require(payload.Length == 8 && flags == 0, type);
                var status = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
                Require(status is >= (uint)SpdyResetStatus.ProtocolError and <= (uint)SpdyResetStatus.FrameTooLarge, type);
                return new RstStreamFrame(StreamId(payload, type), (SpdyResetStatus)status);
            case SpdyControlType.Settings:
                Require(payload.Length >= 4, type);
                var count = BinaryPrimitives.ReadUInt32BigEndian(payload);
                Require(count <= (uint)(MaxControlLength / 8) && payload.Length == 4 + (8 * (int)count), type);
                return new SettingsFrame((int)count);
            case SpdyControlType.Ping:
                Require(payload.Length == 4 && flags == 0, type);
                return new PingFrame(BinaryPrimitives.ReadUInt32BigEndian(payload));
            case SpdyControlType.GoAway:
                Require(payload.Length == 8 && flags == 0, type);
                return new GoAwayFrame(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF, (SpdyGoAwayStatus)BinaryPrimitives.ReadUInt32BigEndian(payload[4..]));
            case SpdyControlType.WindowUpdate:
                Require(payload.Length == 8 && flags == 0, type);
                var delta = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]) & 0x7FFF_FFFF;
                Require(delta > 0, type);
                return new WindowUpdateFrame(StreamId(payload, type), delta);
            default:
                throw new SpdyProtocolException($"unknown control frame type {(ushort)type}");
        }
    }

    private static uint StreamId(ReadOnlySpan<byte> payload, SpdyControlType type)
    {
        var id = BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF;
        if (id == 0) throw new SpdyProtocolException($"a {type} frame names stream 0");
        return id;
    }

    private static void Require(bool wellFormed, SpdyControlType type)
    {
        if (!wellFormed) throw new SpdyProtocolException($"a malformed {type} frame (its length, flags or fields break SPDY/3's layout)");
    }

    public void Dispose() => _inflater.Dispose();
}

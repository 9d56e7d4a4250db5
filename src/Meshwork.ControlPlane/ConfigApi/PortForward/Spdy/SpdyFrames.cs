namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

/// <summary>The control frame types of SPDY/3 (draft 3, section 2.6); 5 (NOOP) is gone and 10 (CREDENTIAL) is not used by anyone here.</summary>
public enum SpdyControlType : ushort
{
    SynStream = 1,
    SynReply = 2,
    RstStream = 3,
    Settings = 4,
    Ping = 6,
    GoAway = 7,
    Headers = 8,
    WindowUpdate = 9,
}

/// <summary>RST_STREAM status codes (draft 3, section 2.6.3).</summary>
public enum SpdyResetStatus : uint
{
    ProtocolError = 1,
    InvalidStream = 2,
    RefusedStream = 3,
    UnsupportedVersion = 4,
    Cancel = 5,
    InternalError = 6,
    FlowControlError = 7,
    StreamInUse = 8,
    StreamAlreadyClosed = 9,
    InvalidCredentials = 10,
    FrameTooLarge = 11,
}

/// <summary>GOAWAY status codes (draft 3, section 2.6.6).</summary>
public enum SpdyGoAwayStatus : uint
{
    Ok = 0,
    ProtocolError = 1,
    InternalError = 2,
}

/// <summary>One frame as read or to be written. Header blocks are held inflated, as names and values.</summary>
public abstract record SpdyFrame
{
    /// <summary>SPDY/3: the version every control frame carries.</summary>
    public const ushort Version = 3;

    /// <summary>FLAG_FIN on SYN_STREAM, SYN_REPLY, HEADERS and DATA: the sender's half of the stream ends.</summary>
    public const byte FlagFin = 0x01;

    /// <summary>FLAG_UNIDIRECTIONAL on SYN_STREAM.</summary>
    public const byte FlagUnidirectional = 0x02;
}

public sealed record SynStreamFrame(uint StreamId, uint AssociatedStreamId, byte Priority, bool Fin, IReadOnlyDictionary<string, string> Headers) : SpdyFrame;

public sealed record SynReplyFrame(uint StreamId, bool Fin, IReadOnlyDictionary<string, string> Headers) : SpdyFrame;

public sealed record HeadersFrame(uint StreamId, bool Fin, IReadOnlyDictionary<string, string> Headers) : SpdyFrame;

public sealed record RstStreamFrame(uint StreamId, SpdyResetStatus Status) : SpdyFrame;

/// <summary>SETTINGS: read whole and validated; nothing in them changes how this side forwards.</summary>
public sealed record SettingsFrame(int Count) : SpdyFrame;

public sealed record PingFrame(uint Id) : SpdyFrame;

public sealed record GoAwayFrame(uint LastGoodStreamId, SpdyGoAwayStatus Status) : SpdyFrame;

public sealed record WindowUpdateFrame(uint StreamId, uint Delta) : SpdyFrame;

/// <summary>A DATA frame. As read, <see cref="Data"/> lies in the reader's buffer and is valid until its next read.</summary>
public sealed record DataFrame(uint StreamId, bool Fin, ReadOnlyMemory<byte> Data) : SpdyFrame;

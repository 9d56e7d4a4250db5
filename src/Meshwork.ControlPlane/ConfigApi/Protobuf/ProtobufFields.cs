namespace Meshwork.ControlPlane.ConfigApi.Protobuf;

/// <summary>
/// Reads the fields of one protobuf message (https://protobuf.dev/programming-guides/encoding/):
/// each a varint key (field number and wire type) and a varint or length-delimited value. Groups
/// and fixed-width values are not used by the Kubernetes types read here, so they end the read.
/// </summary>
internal ref struct ProtobufFields(ReadOnlySpan<byte> message)
{
    private const int Varint = 0;
    private const int LengthDelimited = 2;

    private ReadOnlySpan<byte> _rest = message;

    public int Field { get; private set; }
    public ulong Number { get; private set; }
    public ReadOnlySpan<byte> Bytes { get; private set; }
    public bool IsLengthDelimited { get; private set; }

    /// <summary>An empty string, message or list, or a zero number: in proto3 the same as absent, and Go writes them out.</summary>
    public readonly bool IsDefault => IsLengthDelimited ? Bytes.IsEmpty : Number == 0;

    /// <summary>Moves to the next field; false at the end; throws <see cref="FormatException"/> on a malformed message.</summary>
    public bool Next()
    {
        if (_rest.IsEmpty) return false;
        var key = ReadVarint();
        var field = key >> 3;
        if (field is 0 or > int.MaxValue) throw new FormatException("invalid field number");
        Field = (int)field;
        switch ((int)(key & 7))
        {
            case Varint:
                Number = ReadVarint();
                Bytes = default;
                IsLengthDelimited = false;
                return true;
            case LengthDelimited:
                var length = ReadVarint();
                if (length > (ulong)_rest.Length) throw new FormatException("a length runs past the end of the message");
                Bytes = _rest[..(int)length];
                _rest = _rest[(int)length..];
                IsLengthDelimited = true;
                return true;
            default:
                throw new FormatException($"wire type {key & 7} of field {field} is not used by the types read here");
        }
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (_rest.IsEmpty) throw new FormatException("a varint runs past the end of the message");
            var b = _rest[0];
            _rest = _rest[1..];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new FormatException("a varint is longer than 10 bytes");
    }
}

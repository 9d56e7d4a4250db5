using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Meshwork.Runtime.Network;

/// <summary>An IPv4 prefix such as 10.244.7.0/24 (RFC 4632 notation).</summary>
public readonly record struct Ipv4Range
{
    public Ipv4Range(uint network, int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, 32);
        PrefixLength = prefixLength;
        Network = network & Mask(prefixLength);
    }

    public uint Network { get; }
    public int PrefixLength { get; }
    public uint Size => PrefixLength == 0 ? uint.MaxValue : 1u << (32 - PrefixLength);
    public uint Last => Network | ~Mask(PrefixLength);

    public bool Contains(IPAddress address) => address.AddressFamily == AddressFamily.InterNetwork && (ToUInt32(address) & Mask(PrefixLength)) == Network;

    public bool Overlaps(Ipv4Range other) => Network <= other.Last && other.Network <= Last;

    /// <summary>The address <paramref name="offset"/> places into the range (1 is the first host address).</summary>
    public IPAddress Address(uint offset)
    {
        if (offset >= Size) throw new ArgumentOutOfRangeException(nameof(offset), $"{offset} is outside {this}");
        return FromUInt32(Network + offset);
    }

    public static Ipv4Range Parse(string text) =>
        TryParse(text, out var range) ? range : throw new FormatException($"\"{text}\" is not an IPv4 prefix such as 10.244.0.0/24");

    /// <summary>Parses a.b.c.d/n, or a bare address as a /32.</summary>
    public static bool TryParse(string? text, out Ipv4Range range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        var prefix = 32;
        if (slash >= 0 && !int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix)) return false;
        if (prefix is < 0 or > 32) return false;
        // IPAddress.TryParse accepts shorthand such as "10.1" as well; require four dotted parts.
        if (addressText.Count(c => c == '.') != 3) return false;
        if (!IPAddress.TryParse(addressText, out var address) || address.AddressFamily != AddressFamily.InterNetwork) return false;
        range = new Ipv4Range(ToUInt32(address), prefix);
        return true;
    }

    public override string ToString() => $"{FromUInt32(Network)}/{PrefixLength.ToString(CultureInfo.InvariantCulture)}";

    public static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        if (!address.TryWriteBytes(bytes, out var written) || written != 4) throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public static IPAddress FromUInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }

    private static uint Mask(int prefixLength) => prefixLength == 0 ? 0u : uint.MaxValue << (32 - prefixLength);
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// An IPv4 address and port as plain numbers (the address in host order, 10.0.0.1 = 0x0A000001): the key of
/// the capture lookups, compared and hashed without an <see cref="IPAddress"/> per connection.
/// </summary>
internal readonly record struct Ipv4EndPoint(uint Address, int Port)
{
    public static bool TryFrom(IPAddress address, int port, out Ipv4EndPoint endPoint)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        Span<byte> bytes = stackalloc byte[4];
        if (address.AddressFamily != AddressFamily.InterNetwork || !address.TryWriteBytes(bytes, out _))
        {
            endPoint = default;
            return false;
        }
        endPoint = new Ipv4EndPoint(BinaryPrimitives.ReadUInt32BigEndian(bytes), port);
        return true;
    }

    public static bool TryParse(string? address, int port, out Ipv4EndPoint endPoint)
    {
        endPoint = default;
        return IPAddress.TryParse(address, out var ip) && TryFrom(ip, port, out endPoint);
    }

    public static bool Matches(Ipv4EndPoint endPoint, EndPoint? other) =>
        other is IPEndPoint ip && TryFrom(ip.Address, ip.Port, out var own) && own == endPoint;

    public IPAddress ToAddress() => new(BinaryPrimitives.ReverseEndianness(Address));

    public IPEndPoint ToIPEndPoint() => new(ToAddress(), Port);

    public override string ToString() => $"{Address >> 24}.{(Address >> 16) & 0xFF}.{(Address >> 8) & 0xFF}.{Address & 0xFF}:{Port}";
}

using System.Buffers.Binary;
using System.Net.Sockets;

namespace Meshwork.Proxy.Capture;

/// <summary>
/// Where a connection that iptables REDIRECTed to a capture listener was going: netfilter keeps the
/// pre-NAT destination in the connection's conntrack entry and returns it through
/// <c>getsockopt(SOL_IP, SO_ORIGINAL_DST)</c> (linux/netfilter_ipv4.h) as a <c>struct sockaddr_in</c>
/// (ip(7)). One getsockopt per accepted connection, on a stack buffer; only capture listeners ask.
/// </summary>
internal static class OriginalDestination
{
    private const int SolIp = 0;
    private const int SoOriginalDst = 80;
    private const ushort AfInet = 2;
    /// <summary>sizeof(struct sockaddr_in): family (2), port (2), address (4), zero padding (8).</summary>
    private const int SockaddrInLength = 16;

    /// <summary>False when the kernel has none (no conntrack entry: the connection was not redirected) or the socket is not IPv4.</summary>
    public static bool TryRead(Socket socket, out Ipv4EndPoint destination)
    {
        Span<byte> sockaddr = stackalloc byte[SockaddrInLength];
        int length;
        try { length = socket.GetRawSocketOption(SolIp, SoOriginalDst, sockaddr); }
        catch (SocketException)
        {
            destination = default;
            return false;
        }
        return TryParse(sockaddr[..length], out destination);
    }

    /// <summary>
    /// Parses a <c>struct sockaddr_in</c>: <c>sin_family</c> in host byte order, then <c>sin_port</c> and
    /// <c>sin_addr</c> in network byte order. Anything shorter, or of another family, or port 0, is refused.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> sockaddr, out Ipv4EndPoint destination)
    {
        destination = default;
        if (sockaddr.Length < 8) return false;
        var family = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(sockaddr) : BinaryPrimitives.ReadUInt16BigEndian(sockaddr);
        if (family != AfInet) return false;
        var port = BinaryPrimitives.ReadUInt16BigEndian(sockaddr[2..]);
        if (port == 0) return false;
        destination = new Ipv4EndPoint(BinaryPrimitives.ReadUInt32BigEndian(sockaddr[4..]), port);
        return true;
    }
}

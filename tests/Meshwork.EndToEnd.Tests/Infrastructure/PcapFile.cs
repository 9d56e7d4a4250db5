using System.Buffers.Binary;
using System.Net;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>One captured TCP segment: with a payload, or the opening SYN of a connection (<see cref="Opens"/>).</summary>
public sealed record TcpSegment(IPEndPoint Source, IPEndPoint Destination, byte[] Payload, bool Opens = false);

/// <summary>
/// Reads the TCP segments of IPv4 over Ethernet out of a classic pcap file as tcpdump -w writes it (the pcap file format,
/// draft-ietf-opsawg-pcap: a 24-byte file header, then a 16-byte header before each packet; either byte order).
/// </summary>
public static class PcapFile
{
    private const uint MagicMicroseconds = 0xa1b2c3d4, MagicNanoseconds = 0xa1b23c4d;
    private const int LinkTypeEthernet = 1, EtherTypeIpv4 = 0x0800, ProtocolTcp = 6;

    public static IReadOnlyList<TcpSegment> ReadTcp(ReadOnlySpan<byte> file)
    {
        if (file.Length < 24) throw new FormatException($"a pcap file has a 24-byte header; this one has {file.Length} bytes");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        var little = magic is MagicMicroseconds or MagicNanoseconds;
        if (!little && BinaryPrimitives.ReadUInt32BigEndian(file) is not (MagicMicroseconds or MagicNanoseconds))
            throw new FormatException($"not a pcap file (magic {magic:x8})");
        uint U32(ReadOnlySpan<byte> b) => little ? BinaryPrimitives.ReadUInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32BigEndian(b);
        if (U32(file[20..]) != LinkTypeEthernet) throw new FormatException($"link type {U32(file[20..])}, not Ethernet");
        var segments = new List<TcpSegment>();
        // A packet cut short by the end of the file (the capture stopped while writing it) is left out.
        for (var offset = 24; offset + 16 <= file.Length;)
        {
            var captured = (int)U32(file[(offset + 8)..]);
            var start = offset + 16;
            if (captured < 0 || start + captured > file.Length) break;
            if (Tcp(file.Slice(start, captured)) is { } segment) segments.Add(segment);
            offset = start + captured;
        }
        return segments;
    }

    private static TcpSegment? Tcp(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14 || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != EtherTypeIpv4) return null;
        var ip = frame[14..];
        if (ip.Length < 20 || ip[0] >> 4 != 4 || ip[9] != ProtocolTcp) return null;
        var ipHeader = (ip[0] & 0x0f) * 4;
        var total = Math.Min(BinaryPrimitives.ReadUInt16BigEndian(ip[2..]), ip.Length);
        if (total < ipHeader + 20) return null;
        var tcp = ip[ipHeader..total];
        var tcpHeader = (tcp[12] >> 4) * 4;
        if (tcpHeader < 20 || tcpHeader > tcp.Length) return null;
        // RFC 9293 §3.1: SYN is bit 1 and ACK bit 4 of the flags byte; a SYN without ACK is a connection's first segment.
        var opens = (tcp[13] & 0x12) == 0x02;
        if (tcpHeader == tcp.Length && !opens) return null;
        var source = new IPEndPoint(new IPAddress(ip.Slice(12, 4)), BinaryPrimitives.ReadUInt16BigEndian(tcp));
        var destination = new IPEndPoint(new IPAddress(ip.Slice(16, 4)), BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]));
        return new TcpSegment(source, destination, tcp[tcpHeader..].ToArray(), opens);
    }
}

namespace Meshwork.Proxy.Inbound.Sniffing;

/// <summary>What the first bytes of a connection say.</summary>
internal enum SniffResult
{
    /// <summary>Not enough bytes to decide yet.</summary>
    NeedMore,
    /// <summary>A TLS handshake record carrying a ClientHello.</summary>
    Tls,
    /// <summary>Anything else: plaintext (HTTP or raw TCP).</summary>
    Plaintext,
}

/// <summary>
/// Decides TLS or plaintext from the first bytes, as Envoy's tls_inspector does (<see cref="FirstBytes"/>
/// reads them and replays them to whoever reads next). A TLS record (RFC 8446 §5.1) starts with content type 22 (handshake) and legacy version
/// 0x03 0x0X; its first handshake message (§4) is a ClientHello (type 1) at offset 5.
/// </summary>
internal static class ProtocolSniffer
{
    private const byte HandshakeRecord = 0x16;
    private const byte ClientHello = 0x01;

    public static SniffResult Sniff(ReadOnlySpan<byte> head)
    {
        if (head.Length == 0) return SniffResult.NeedMore;
        if (head[0] != HandshakeRecord) return SniffResult.Plaintext;
        if (head.Length < 2) return SniffResult.NeedMore;
        if (head[1] != 0x03) return SniffResult.Plaintext;
        if (head.Length < 3) return SniffResult.NeedMore;
        if (head[2] > 0x04) return SniffResult.Plaintext;
        if (head.Length < 6) return SniffResult.NeedMore;
        return head[5] == ClientHello ? SniffResult.Tls : SniffResult.Plaintext;
    }
}

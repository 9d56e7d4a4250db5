using System.Buffers;
using System.IO.Pipelines;

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
/// Decides TLS or plaintext from the first bytes without consuming them, as Envoy's tls_inspector
/// does. A TLS record (RFC 8446 §5.1) starts with content type 22 (handshake) and legacy version
/// 0x03 0x0X; its first handshake message (§4) is a ClientHello (type 1) at offset 5.
/// </summary>
internal static class ProtocolSniffer
{
    private const byte HandshakeRecord = 0x16;
    private const byte ClientHello = 0x01;

    public static SniffResult Sniff(ReadOnlySequence<byte> buffer)
    {
        Span<byte> head = stackalloc byte[6];
        var length = (int)Math.Min(buffer.Length, head.Length);
        buffer.Slice(0, length).CopyTo(head);
        return Sniff(head[..length]);
    }

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

    /// <summary>
    /// Reads until the first bytes decide, then rewinds so the next reader sees every byte. Returns
    /// null when the peer sent nothing before <paramref name="timeout"/> (a server-first protocol, or an
    /// idle client) or closed the connection first.
    /// </summary>
    public static async ValueTask<SniffResult?> PeekAsync(PipeReader input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            var buffer = result.Buffer;
            var sniff = Sniff(buffer);
            if (sniff != SniffResult.NeedMore)
            {
                input.AdvanceTo(buffer.Start);
                return sniff;
            }
            if (result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return buffer.IsEmpty ? null : SniffResult.Plaintext;
            }
            // Examined everything, consumed nothing: the next read waits for more bytes.
            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}

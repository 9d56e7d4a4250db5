using Meshwork.Proxy.Capture;
using Meshwork.Proxy.Inbound.Sniffing;

namespace Meshwork.Fuzz.Targets;

/// <summary>
/// The first bytes of an inbound connection, as the TLS ClientHello sniffer and the HTTP/1 sniffer see them.
/// A verdict, once reached, must not change as more bytes arrive, and the bytes read to reach it must be
/// replayed whole and in order to whoever reads the connection next.
/// </summary>
internal sealed class TlsSnifferTarget : FuzzTarget
{
    private static readonly byte[] Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public override void Run(ReadOnlySpan<byte> input)
    {
        var bytes = input.ToArray();
        CheckTlsVerdictIsStable(bytes);
        CheckHttp1VerdictIsStable(bytes);

        using var first = Sync.Result(FirstBytes.ReadAsync(new FragmentedStream(bytes), TimeSpan.FromMinutes(1), CancellationToken.None));
        var expected = bytes.Length == 0 ? (SniffResult?)null : ProtocolSniffer.Sniff(bytes) is SniffResult.Tls ? SniffResult.Tls : SniffResult.Plaintext;
        if (first.Kind != expected) throw new InvariantBrokenException($"read in pieces the connection is {first.Kind}, whole it is {expected}");
        if (first.Kind == SniffResult.Plaintext)
        {
            var h2 = Sync.Result(first.IsHttp2PrefaceAsync(TimeSpan.FromMinutes(1), CancellationToken.None));
            if (h2 != bytes.AsSpan().StartsWith(Http2Preface)) throw new InvariantBrokenException($"the HTTP/2 preface check said {h2}");
        }
        var replayed = new MemoryStream();
        first.Stream.CopyTo(replayed);
        if (!replayed.ToArray().AsSpan().SequenceEqual(bytes)) throw new InvariantBrokenException("the sniffed bytes were not replayed exactly");
    }

    private static void CheckTlsVerdictIsStable(byte[] bytes)
    {
        var decided = SniffResult.NeedMore;
        for (var n = 0; n <= Math.Min(bytes.Length, 64); n++)
        {
            var verdict = ProtocolSniffer.Sniff(bytes.AsSpan(0, n));
            if (decided != SniffResult.NeedMore && verdict != decided)
                throw new InvariantBrokenException($"the TLS sniffer said {decided}, then {verdict} after {n} bytes");
            decided = verdict;
        }
    }

    private static void CheckHttp1VerdictIsStable(byte[] bytes)
    {
        var decided = Http1Sniffer.Verdict.NeedMore;
        for (var n = 0; n <= Math.Min(bytes.Length, 64); n++)
        {
            var verdict = Http1Sniffer.Classify(bytes.AsSpan(0, n));
            if (decided != Http1Sniffer.Verdict.NeedMore && verdict != decided)
                throw new InvariantBrokenException($"the HTTP/1 sniffer said {decided}, then {verdict} after {n} bytes");
            decided = verdict;
        }
    }
}

using Meshwork.Proxy.Http1;

namespace Meshwork.Fuzz.Targets;

/// <summary>
/// A chunked body (RFC 9112 §7.1) as the relay decodes and re-frames it. A body it accepts must re-frame to
/// something that decodes to the same payload and re-frames to the same bytes: a re-framed body read
/// differently by the next hop would let a client hide a request inside another.
/// </summary>
internal sealed class Http1ChunkedTarget : FuzzTarget
{
    public override void Run(ReadOnlySpan<byte> input)
    {
        byte[] reframed;
        long payload;
        try { (reframed, payload) = Relay(input.ToArray()); }
        catch (HttpWireException) { return; }
        catch (RelayException) { return; }

        var (again, payloadAgain) = Relay(reframed);
        if (payloadAgain != payload) throw new InvariantBrokenException($"the re-framed body carries {payloadAgain} bytes, the original {payload}");
        if (!again.AsSpan().SequenceEqual(reframed)) throw new InvariantBrokenException("re-framing a re-framed body changed it");
    }

    private static (byte[] Reframed, long Payload) Relay(byte[] body)
    {
        using var input = new HttpInput(new FragmentedStream(body), RelaySide.Downstream);
        var sink = new MemoryStream();
        using var output = new HttpOutput(sink, RelaySide.Upstream);
        var payload = Sync.Result(ChunkedBody.RelayAsync(input, output, CancellationToken.None));
        Sync.Wait(output.FlushAsync(CancellationToken.None));
        return (sink.ToArray(), payload);
    }
}

using System.Text;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;

namespace Meshwork.Fuzz.Targets;

/// <summary>
/// The bytes a client sends on one connection, read as the inbound relay reads them: request heads, each
/// parsed strictly, forwarded, and its body consumed by its framing, until the input ends or is refused.
/// A refusal (<see cref="HttpWireException"/>, or <see cref="RelayException"/> for a truncated input) is the
/// expected end of a bad input. The head the proxy writes upstream must parse again, to the same method,
/// framing and authority: a forwarded head that another strict parser reads differently is request smuggling.
/// </summary>
internal sealed class Http1RequestTarget : FuzzTarget
{
    private const int MaxRequests = 16;

    public override void Run(ReadOnlySpan<byte> input)
    {
        using var downIn = new HttpInput(new FragmentedStream(input.ToArray()), RelaySide.Downstream);
        using var forwarded = new HttpOutput(Stream.Null, RelaySide.Upstream);
        using var body = new HttpOutput(Stream.Null, RelaySide.Upstream);
        try
        {
            for (var i = 0; i < MaxRequests; i++)
            {
                var length = Sync.Result(downIn.ReadHeadAsync(CancellationToken.None));
                if (length == 0) return;
                var head = HttpHead.ParseRequest(downIn.Span[..length]);
                forwarded.Discard();
                var frame = Http1Relay.WriteRequestHead(head, forwarded, Http1Relay.OriginForm(head.Second), "x-forwarded-client-cert"u8, default);
                ForwardedHead.Check(head, frame, forwarded.Written);
                downIn.Consume(length);
                if (frame.Framing == BodyFraming.ContentLength) Sync.Wait(downIn.CopyExactAsync(frame.ContentLength, body, CancellationToken.None));
                else if (frame.Framing == BodyFraming.Chunked) Sync.Result(ChunkedBody.RelayAsync(downIn, body, CancellationToken.None));
                body.Discard();
                if (frame.Close) return;
            }
        }
        catch (HttpWireException) { }
        catch (RelayException) { }
    }
}

/// <summary>What the proxy writes upstream for a request head must mean what the client's head meant.</summary>
internal static class ForwardedHead
{
    public static void Check(in HttpHead original, Http1Relay.RequestFrame frame, ReadOnlySpan<byte> written)
    {
        HttpHead again;
        try { again = HttpHead.ParseRequest(written); }
        catch (HttpWireException e) { throw Broken($"the forwarded head does not parse ({e.Message})", written); }
        if (!again.First.SequenceEqual(original.First)) throw Broken("the forwarded method differs", written);
        if (again.Framing != frame.Framing) throw Broken($"the forwarded framing is {again.Framing}, the request's {frame.Framing}", written);
        if (frame.Framing == BodyFraming.ContentLength && again.ContentLength != frame.ContentLength) throw Broken("the forwarded Content-Length differs", written);
        var authority = original.TargetAuthority.IsEmpty ? original.Host : original.TargetAuthority;
        if (!again.Host.SequenceEqual(authority)) throw Broken("the forwarded Host differs from the request's authority", written);
    }

    private static InvariantBrokenException Broken(string what, ReadOnlySpan<byte> written) =>
        new($"{what}: {Encoding.ASCII.GetString(written).ReplaceLineEndings("\\n")}");
}

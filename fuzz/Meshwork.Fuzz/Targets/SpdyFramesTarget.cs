using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

namespace Meshwork.Fuzz.Targets;

/// <summary>
/// The bytes a port-forward client sends on its connection, to the SPDY/3 frame reader as the session reads them
/// (in uneven pieces): frame headers, control frames and their header blocks, inflated against SPDY/3's dictionary
/// and decoded into names and values. The reader may only refuse (<see cref="SpdyProtocolException"/>); every frame
/// it accepts, written again by this side's writer and read back by a fresh reader, must be the same frame, so
/// nothing the reader lets through is something the rest of the session could read differently.
/// </summary>
internal sealed class SpdyFramesTarget : FuzzTarget
{
    /// <summary>More frames than any seed holds: enough to reach the inflater's state across many blocks.</summary>
    private const int MaxFrames = 64;

    public override void Run(ReadOnlySpan<byte> input)
    {
        var accepted = new List<SpdyFrame>();
        using (var reader = new SpdyFrameReader(new FragmentedStream(input.ToArray())))
        {
            try
            {
                while (accepted.Count < MaxFrames && Sync.Result(reader.ReadAsync(CancellationToken.None)) is { } frame)
                {
                    // A DATA frame's payload lies in the reader's buffer until its next read.
                    accepted.Add(frame is DataFrame data ? data with { Data = data.Data.ToArray() } : frame);
                }
            }
            catch (SpdyProtocolException)
            {
                // Refused: the session ends with GOAWAY. The frames before the refusal still count.
            }
        }

        var writer = new SpdyFrameWriter(Stream.Null);
        var written = new MemoryStream();
        foreach (var frame in accepted) written.Write(writer.Encode(frame));
        using var again = new SpdyFrameReader(new FragmentedStream(written.ToArray()));
        foreach (var frame in accepted)
        {
            SpdyFrame? read;
            try { read = Sync.Result(again.ReadAsync(CancellationToken.None)); }
            catch (SpdyProtocolException e) { throw new InvariantBrokenException($"the writer's {frame.GetType().Name} was refused when read back: {e.Message}"); }
            if (read is null || !Same(frame, read)) throw new InvariantBrokenException($"{frame} was read back as {read?.ToString() ?? "the end of the input"}");
        }
    }

    /// <summary>Frames compared by what they carry: header blocks by their names and values, DATA by its bytes.</summary>
    private static bool Same(SpdyFrame expected, SpdyFrame actual) => (expected, actual) switch
    {
        (DataFrame e, DataFrame a) => e.StreamId == a.StreamId && e.Fin == a.Fin && e.Data.Span.SequenceEqual(a.Data.Span),
        (SynStreamFrame e, SynStreamFrame a) => e with { Headers = a.Headers } == a && SameHeaders(e.Headers, a.Headers),
        (SynReplyFrame e, SynReplyFrame a) => e with { Headers = a.Headers } == a && SameHeaders(e.Headers, a.Headers),
        (HeadersFrame e, HeadersFrame a) => e with { Headers = a.Headers } == a && SameHeaders(e.Headers, a.Headers),
        _ => expected == actual,
    };

    private static bool SameHeaders(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual) =>
        expected.Count == actual.Count && expected.All(h => actual.TryGetValue(h.Key, out var value) && value == h.Value);
}

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A stream whose reads can be tried without waiting and waited for without reading, so that the reader above
/// (the HTTP/1 codec's input) holds the one async frame of a wait, instead of one more per layer under it: a
/// wake-up of the event loop then resumes the codec directly, not a stream's pending read first.
/// </summary>
/// <remarks>One reader at a time, as for <see cref="Stream.ReadAsync(Memory{byte}, CancellationToken)"/>.</remarks>
internal interface IPollableReadStream
{
    /// <summary>
    /// Reads what is there now: the bytes read (&gt; 0), 0 at the end of the stream, or -1 when nothing is ready (then
    /// await <see cref="WaitToReadAsync"/> and try again). Errors throw as the stream's reads do. The buffer is not empty.
    /// </summary>
    int TryRead(Span<byte> buffer);

    /// <summary>Completes when <see cref="TryRead"/> may make progress; cancellation throws <see cref="OperationCanceledException"/>.</summary>
    ValueTask WaitToReadAsync(CancellationToken cancellationToken);
}

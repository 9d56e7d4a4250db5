using System.Buffers;
using System.Net;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Outbound.Http2;

/// <summary>A request body read from the downstream HTTP/1.1 stream as the upstream takes it (Content-Length or chunked, decoded).</summary>
internal sealed class RequestBody(HttpInput input, BodyFraming framing, long length) : HttpContent
{
    private volatile bool _complete;
    private TaskCompletionSource? _finished;

    private long _relayed;

    /// <summary>The payload bytes sent upstream so far (chunk framing excluded): what istio_request_bytes measures.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    /// <summary>True once the whole body was read from the downstream connection.</summary>
    public bool Complete => _complete;

    /// <summary>Completes when the copy to the upstream ended, however it ended (at once if it never started).</summary>
    public Task Finished => Volatile.Read(ref _finished)?.Task ?? Task.CompletedTask;

    protected override bool TryComputeLength(out long computed)
    {
        computed = length;
        return framing == BodyFraming.ContentLength;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _finished, finished);
        try { await CopyBodyAsync(stream, cancellationToken).ConfigureAwait(false); }
        finally { finished.TrySetResult(); }
    }

    private async Task CopyBodyAsync(Stream stream, CancellationToken cancellationToken)
    {
        if (framing == BodyFraming.ContentLength) await CopyAsync(stream, length, cancellationToken).ConfigureAwait(false);
        else
        {
            while (true)
            {
                var size = await ChunkedBody.ReadSizeAsync(input, cancellationToken).ConfigureAwait(false);
                if (size == 0)
                {
                    // Trailer section (dropped), through the empty line.
                    await ChunkedBody.ReadTrailersAsync(input, null, cancellationToken).ConfigureAwait(false);
                    break;
                }
                await CopyAsync(stream, size, cancellationToken).ConfigureAwait(false);
                await ChunkedBody.ReadDataEndAsync(input, cancellationToken).ConfigureAwait(false);
            }
        }
        _complete = true;
    }

    private async Task CopyAsync(Stream stream, long remaining, CancellationToken cancellationToken)
    {
        while (remaining > 0)
        {
            if (input.Buffered == 0 && !await input.FillAsync(cancellationToken).ConfigureAwait(false))
                throw new RelayException(RelaySide.Downstream, "the connection closed in the middle of a body");
            var n = (int)Math.Min(remaining, input.Buffered);
            var chunk = ArrayPool<byte>.Shared.Rent(n);
            try
            {
                input.Span[..n].CopyTo(chunk);
                input.Consume(n);
                await stream.WriteAsync(chunk.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _relayed, n);
            }
            finally { ArrayPool<byte>.Shared.Return(chunk); }
            remaining -= n;
        }
    }
}

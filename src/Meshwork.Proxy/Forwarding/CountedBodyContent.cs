using System.Buffers;
using System.Net;

namespace Meshwork.Proxy.Forwarding;

/// <summary>
/// A request body streamed from the client to the upstream that counts the bytes it sent, for
/// istio_request_bytes (the body payload, headers and framing excluded).
/// </summary>
internal sealed class CountedBodyContent(Stream source, int bufferSize) : HttpContent
{
    private long _relayed;

    /// <summary>The body bytes written upstream so far.</summary>
    public long Relayed => Interlocked.Read(ref _relayed);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _relayed, read);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }
}

using System.Buffers;
using System.IO.Pipelines;

namespace Meshwork.Proxy.Transport;

/// <summary>Pipes over a stream (the decrypted side of an SslStream), handed back to Kestrel as the connection's transport.</summary>
internal sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
{
    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(pool: MemoryPool<byte>.Shared, bufferSize: 16 * 1024, leaveOpen: true));
    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(pool: MemoryPool<byte>.Shared, leaveOpen: true));
}

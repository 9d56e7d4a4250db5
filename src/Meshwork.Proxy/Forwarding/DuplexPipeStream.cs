using System.Buffers;
using System.IO.Pipelines;

namespace Meshwork.Proxy.Forwarding;

/// <summary>A <see cref="Stream"/> over a connection's pipes, so that SslStream and byte relays can sit on a Kestrel transport.</summary>
internal sealed class DuplexPipeStream(IDuplexPipe pipe) : Stream
{
    private readonly PipeReader _input = pipe.Input;
    private readonly PipeWriter _output = pipe.Output;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled) { _input.AdvanceTo(buffer.Start); throw new OperationCanceledException("read cancelled"); }
            if (!buffer.IsEmpty)
            {
                var n = (int)Math.Min(buffer.Length, destination.Length);
                buffer.Slice(0, n).CopyTo(destination.Span);
                _input.AdvanceTo(buffer.GetPosition(n));
                return n;
            }
            _input.AdvanceTo(buffer.End);
            if (result.IsCompleted) return 0;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        var result = await _output.WriteAsync(source, cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled) throw new OperationCanceledException("write cancelled");
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken).AsTask();

    public override void Flush() => throw new NotSupportedException("synchronous I/O is not used");
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O is not used");
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("synchronous I/O is not used");
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Half-close towards the peer: nothing more will be written.</summary>
    public ValueTask CompleteWritingAsync() => _output.CompleteAsync();
}

/// <summary>Pipes over a stream (the decrypted side of an SslStream), handed back to Kestrel as the connection's transport.</summary>
internal sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe
{
    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(pool: MemoryPool<byte>.Shared, bufferSize: 16 * 1024, leaveOpen: true));
    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(pool: MemoryPool<byte>.Shared, leaveOpen: true));
}

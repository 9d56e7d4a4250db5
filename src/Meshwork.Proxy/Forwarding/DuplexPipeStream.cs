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

    public override ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        // Data already in the pipe (the rest of a TLS record, say): no state machine at all.
        if (_input.TryRead(out var ready) && TryTake(ready, destination.Span, out var taken)) return new ValueTask<int>(taken);
        return ReadSlowAsync(destination, cancellationToken);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadSlowAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (TryTake(result, destination.Span, out var taken)) return taken;
        }
    }

    /// <summary>Copies what <paramref name="result"/> holds and advances; false when there was nothing yet and the pipe is still open.</summary>
    private bool TryTake(ReadResult result, Span<byte> destination, out int taken)
    {
        var buffer = result.Buffer;
        if (result.IsCanceled) { _input.AdvanceTo(buffer.Start); throw new OperationCanceledException("read cancelled"); }
        if (!buffer.IsEmpty)
        {
            taken = (int)Math.Min(buffer.Length, destination.Length);
            buffer.Slice(0, taken).CopyTo(destination);
            _input.AdvanceTo(buffer.GetPosition(taken));
            return true;
        }
        _input.AdvanceTo(buffer.End);
        taken = 0;
        return result.IsCompleted;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
    {
        var flush = _output.WriteAsync(source, cancellationToken);
        if (!flush.IsCompletedSuccessfully) return WaitForFlushAsync(flush);
        if (flush.Result.IsCanceled) throw new OperationCanceledException("write cancelled");
        return ValueTask.CompletedTask;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask WaitForFlushAsync(ValueTask<FlushResult> flush)
    {
        if ((await flush.ConfigureAwait(false)).IsCanceled) throw new OperationCanceledException("write cancelled");
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

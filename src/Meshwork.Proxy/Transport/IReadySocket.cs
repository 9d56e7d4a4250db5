using System.Net.Sockets;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// A connected, non-blocking TCP socket whose readiness an event loop tracks, so that a reader calls
/// the kernel only when the loop says there is something to read (a read that would return EAGAIN is
/// answered from the socket's readiness, without a syscall). The transport under the proxy's own TLS
/// (which reads and writes the descriptor through it) and under its plaintext streams.
/// </summary>
/// <remarks>
/// Thread-safe for one reader and one writer at a time, each on any thread: a readiness event that
/// arrives between a <see cref="TryReceive"/> that found nothing and the <see cref="WaitReadableAsync"/>
/// after it is not lost (the wait completes at once).
/// </remarks>
internal interface IReadySocket : IDisposable
{
    /// <summary>The socket, for options, endpoints, shutdown and reset; its own async operations must not be used.</summary>
    Socket Socket { get; }

    /// <summary>
    /// Reads what is there without blocking: the bytes read (&gt; 0), 0 at the peer's end of stream, or -1 when
    /// nothing is ready (then await <see cref="WaitReadableAsync"/> and try again). Throws
    /// <see cref="SocketException"/> on a reset or other error, <see cref="ObjectDisposedException"/> once disposed.
    /// </summary>
    int TryReceive(Span<byte> buffer);

    /// <summary>Writes what the socket takes without blocking: the bytes written (&gt; 0), or -1 when its send buffer is full.</summary>
    int TrySend(ReadOnlySpan<byte> buffer);

    /// <summary>Completes when a read may find bytes (or the end of stream, or an error); cancellation throws <see cref="OperationCanceledException"/>.</summary>
    ValueTask WaitReadableAsync(CancellationToken cancellationToken);

    /// <summary>Completes when the send buffer has room again.</summary>
    ValueTask WaitWritableAsync(CancellationToken cancellationToken);
}

/// <summary>A stream directly over an <see cref="IReadySocket"/>: a layer above (the mesh TLS) may take the socket and use it itself.</summary>
internal interface IReadySocketStream
{
    IReadySocket ReadySocket { get; }
}

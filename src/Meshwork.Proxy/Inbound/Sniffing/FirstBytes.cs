using System.Buffers;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.Inbound.Sniffing;

/// <summary>
/// The first bytes of an inbound connection, read (not peeked) so that waiting for them needs no polling,
/// and replayed to whoever reads the connection next: TLS or plaintext (<see cref="ProtocolSniffer"/>), and
/// for plaintext, whether it opens with the HTTP/2 preface (RFC 9113 §3.4).
/// </summary>
internal sealed class FirstBytes : IDisposable
{
    private static readonly byte[] Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(4096);
    private int _length;

    private FirstBytes(Stream connection) => Stream = connection;

    /// <summary>The connection, with the bytes read so far replayed first.</summary>
    public Stream Stream { get; private set; }

    /// <summary>TLS, plaintext, or null when nothing came before the timeout (a server-first protocol, an idle client) or the peer closed first.</summary>
    public SniffResult? Kind { get; private set; }

    public static async Task<FirstBytes> ReadAsync(Stream connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var first = new FirstBytes(connection);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var sniff = ProtocolSniffer.Sniff(first._buffer.AsSpan(0, first._length));
                if (sniff != SniffResult.NeedMore) { first.Kind = sniff; break; }
                if (!await first.ReadMoreAsync(cts.Token).ConfigureAwait(false))
                {
                    first.Kind = first._length == 0 ? null : SniffResult.Plaintext;
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            first.Kind = first._length == 0 ? null : SniffResult.Plaintext;
        }
        first.Replay();
        return first;
    }

    /// <summary>For plaintext: whether the client opened with the HTTP/2 preface (h2c with prior knowledge); reads as many bytes as that takes.</summary>
    public async Task<bool> IsHttp2PrefaceAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                var n = Math.Min(_length, Http2Preface.Length);
                if (!_buffer.AsSpan(0, n).SequenceEqual(Http2Preface.AsSpan(0, n))) return false;
                if (n == Http2Preface.Length) return true;
                if (!await ReadMoreAsync(cts.Token).ConfigureAwait(false)) return false;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { return false; }
        finally { Replay(); }
    }

    private async ValueTask<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        var stream = Stream is ReplayStream replay ? replay.Inner : Stream;
        if (_length == _buffer.Length) return false;
        var read = await stream.ReadAsync(_buffer.AsMemory(_length), cancellationToken).ConfigureAwait(false);
        _length += read;
        return read > 0;
    }

    private void Replay()
    {
        var inner = Stream is ReplayStream replay ? replay.Inner : Stream;
        Stream = _length == 0 ? inner : new ReplayStream(inner, _buffer, _length);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}

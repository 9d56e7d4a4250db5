using System.Text;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// The codec fed in fragments: the same bytes, cut at every position and also delivered one byte per
/// read, must come to the same result as when they arrive at once — same forwarded bytes, same refusal.
/// A parser that decides on a partial line (a CR at the end of a read, half a chunk size) fails here.
/// </summary>
public sealed class FragmentedParsingTests
{
    private const string Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    private const string Get = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    public static TheoryData<string> Requests => new()
    {
        "\r\n\r\nGET /a?b=c HTTP/1.1\r\nHost: h:80\r\nX-Spaced: \t v  w \r\nConnection: keep-alive\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
        "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"x;y\"\r\nhello\r\n00A\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
        "GET http://h:8000/p HTTP/1.1\r\nHost: other\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\nX-B: b\r\n\r\n",
        "GET / HTTP/1.1\nHost: h\n\n",
        "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        "POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: a\nb\r\n\r\n",
    };

    public static TheoryData<string> Responses => new()
    {
        Ok,
        "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A:  a \r\n\r\n3;q\r\nabc\r\n0\r\nX-T: t\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: <a>\r\n\r\n" + Ok,
        "HTTP/1.0 200 OK\r\n\r\nuntil the close",
        "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: a\nX-B: b\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public Task A_request_comes_to_the_same_result_whatever_the_reads(string request) => AssertSameWhateverTheReadsAsync(request, RelayRequestAsync);

    [Theory]
    [MemberData(nameof(Responses))]
    public Task A_response_comes_to_the_same_result_whatever_the_reads(string response) => AssertSameWhateverTheReadsAsync(response, RelayResponseAsync);

    /// <summary>
    /// All at once, one byte per read, and in two reads cut at every position: one result; and the same again over a
    /// stream read on readiness (as the event loop's sockets and mesh TLS are), where each piece is first not ready.
    /// </summary>
    private static async Task AssertSameWhateverTheReadsAsync(string message, Func<Stream, Task<string>> relay)
    {
        var bytes = Encoding.Latin1.GetBytes(message);
        var whole = await relay(new PieceStream(bytes, []));
        Assert.Equal(whole, await relay(new PollablePieceStream(bytes, [])));
        Assert.Equal(whole, await relay(new PieceStream(bytes, [.. Enumerable.Range(1, bytes.Length - 1)])));
        Assert.Equal(whole, await relay(new PollablePieceStream(bytes, [.. Enumerable.Range(1, bytes.Length - 1)])));
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.Equal(whole, await relay(new PieceStream(bytes, [cut])));
            Assert.Equal(whole, await relay(new PollablePieceStream(bytes, [cut])));
        }
    }

    [Fact]
    public async Task Results_are_what_the_codec_promises()
    {
        Assert.Equal("forwarded: GET /a?b=c HTTP/1.1\r\nHost: h:80\r\nX-Spaced: v  w\r\n\r\n | 200",
            await RelayRequestAsync(new PieceStream("\r\n\r\nGET /a?b=c HTTP/1.1\r\nHost: h:80\r\nX-Spaced: \t v  w \r\nConnection: keep-alive\r\n\r\n"u8.ToArray(), [])));
        Assert.Equal("refused 400", await RelayRequestAsync(new PieceStream("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\nX-B: b\r\n\r\n"u8.ToArray(), [])));
        Assert.Equal("answered: HTTP/1.1 201 Created\r\nX-A: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: t\r\n\r\n | 201 ",
            await RelayResponseAsync(new PieceStream("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A:  a \r\n\r\n3;q\r\nabc\r\n0\r\nX-T: t\r\n\r\n"u8.ToArray(), [])));
        Assert.Equal("answered:  | 502 UpstreamProtocolError",
            await RelayResponseAsync(new PieceStream("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n"u8.ToArray(), [])));
    }

    /// <summary>The request through a relay to an upstream that answers 200: what the upstream got, or the refusal.</summary>
    private static async Task<string> RelayRequestAsync(Stream client)
    {
        using var downIn = new HttpInput(client, RelaySide.Downstream);
        using var downOut = new HttpOutput(Stream.Null, RelaySide.Downstream);
        var upstreamGot = new MemoryStream();
        await using var up = new UpstreamConnection(new DuplexStream(new MemoryStream(Encoding.ASCII.GetBytes(Ok)), upstreamGot));
        Http1Relay.RequestFrame frame;
        try
        {
            var length = await downIn.ReadHeadAsync(default);
            frame = Prepare(downIn, length, up.Output);
        }
        catch (HttpWireException e) { return $"refused {e.Status}"; }
        var result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, default);
        return result.FailedStage is null
            ? $"forwarded: {Encoding.Latin1.GetString(upstreamGot.ToArray())} | {result.Status}"
            : $"refused {result.Status} {result.FailedStage}, upstream got: {Encoding.Latin1.GetString(upstreamGot.ToArray())}";
    }

    private static Http1Relay.RequestFrame Prepare(HttpInput downIn, int length, HttpOutput up)
    {
        var head = HttpHead.ParseRequest(downIn.Span[..length]);
        var frame = Http1Relay.WriteRequestHead(head, up, Http1Relay.OriginForm(head.Second), default, default);
        downIn.Consume(length);
        return frame;
    }

    /// <summary>A GET relayed to an upstream answering <paramref name="upstream"/>: what the client got, status and failure.</summary>
    private static async Task<string> RelayResponseAsync(Stream upstream)
    {
        using var downIn = new HttpInput(new MemoryStream(Encoding.ASCII.GetBytes(Get)), RelaySide.Downstream);
        var clientGot = new MemoryStream();
        using var downOut = new HttpOutput(clientGot, RelaySide.Downstream);
        await using var up = new UpstreamConnection(upstream is PollablePieceStream ? upstream : new DuplexStream(upstream, Stream.Null));
        var length = await downIn.ReadHeadAsync(default);
        var frame = Prepare(downIn, length, up.Output);
        var result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, default);
        return $"answered: {Encoding.Latin1.GetString(clientGot.ToArray())} | {result.Status} {result.FailedStage}";
    }

    /// <summary>Hands out its bytes in pieces ending at <paramref name="cuts"/> (then the rest), one piece per read.</summary>
    private class PieceStream(byte[] bytes, int[] cuts) : Stream
    {
        private int _position, _next;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var end = _next < cuts.Length ? cuts[_next++] : bytes.Length;
            var n = Math.Min(end - _position, buffer.Length);
            bytes.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            if (_position < end) _next--;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(Read(buffer.Span));
        public override bool CanRead => true;
        public override bool CanWrite => false;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// A <see cref="PieceStream"/> read on readiness: each piece is first "not ready" (-1), and ready again only after
    /// a wait that completes later, on another thread; writes are taken and dropped.
    /// </summary>
    private sealed class PollablePieceStream(byte[] bytes, int[] cuts) : PieceStream(bytes, cuts), Meshwork.Proxy.Transport.IPollableReadStream
    {
        private bool _ready;

        public int TryRead(Span<byte> buffer)
        {
            if (!_ready) return -1;
            _ready = false;
            return Read(buffer);
        }

        public async ValueTask WaitToReadAsync(CancellationToken cancellationToken)
        {
            await Task.Yield();
            _ready = true;
        }

        public override bool CanWrite => true;
        public override void Write(byte[] buffer, int offset, int count) { }
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => default;
    }
}

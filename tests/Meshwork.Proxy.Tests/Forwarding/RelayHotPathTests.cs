using System.Text;
using System.Threading.Tasks.Sources;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;

namespace Meshwork.Proxy.Tests.Forwarding;

/// <summary>
/// What the relay's allocation-free paths must keep doing: reads and writes that a stream completes at once
/// or later, failures surfacing from the task as <see cref="RelayException"/>, many requests on one pair of
/// kept-alive connections (pooled state machines reused), the connection pool's order and expiry, and metrics
/// series by response flags.
/// </summary>
public sealed class RelayHotPathTests
{
    private const string Request = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
    private const string Response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Many_requests_on_kept_alive_connections_are_relayed_whether_reads_complete_at_once_or_later(bool later)
    {
        var downWire = new ReplayStream(Encoding.ASCII.GetBytes(Request), later);
        var upWire = new ReplayStream(Encoding.ASCII.GetBytes(Response), later);
        using var downIn = new HttpInput(downWire, RelaySide.Downstream);
        using var downOut = new HttpOutput(downWire, RelaySide.Downstream);
        var pool = new UpstreamConnectionPool<int>();
        pool.Return(0, new UpstreamConnection(upWire));
        for (var i = 0; i < 200; i++)
        {
            var length = await downIn.ReadHeadAsync(default);
            var head = HttpHead.ParseRequest(downIn.Span[..length]);
            var up = pool.TryTake(0)!;
            var frame = Http1Relay.WriteRequestHead(head, up.Output, Http1Relay.OriginForm(head.Second), default, default);
            downIn.Consume(length);
            var result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, default);
            Assert.Equal(200, result.Status);
            Assert.True(result.UpstreamReusable);
            pool.Return(0, up);
        }
        Assert.Equal(200, upWire.Writes.Count);
        Assert.All(upWire.Writes, w => Assert.Equal(Request, w));
        Assert.Equal(200, downWire.Writes.Count);
        Assert.All(downWire.Writes, w => Assert.Equal(Response, w));
    }

    [Theory]
    [InlineData(Failure.Throws)]
    [InlineData(Failure.FaultsAtOnce)]
    [InlineData(Failure.FaultsLater)]
    public async Task A_failing_read_or_write_surfaces_from_the_task_as_a_relay_failure_of_its_side(Failure failure)
    {
        var wire = new FailingStream(failure, new IOException("broken pipe"));
        using var input = new HttpInput(wire, RelaySide.Upstream);
        using var output = new HttpOutput(wire, RelaySide.Downstream);

        var read = input.FillAsync(default);
        var readError = await Assert.ThrowsAsync<RelayException>(async () => await read);
        Assert.Equal(RelaySide.Upstream, readError.Side);
        Assert.Equal("broken pipe", readError.Message);
        Assert.IsType<IOException>(readError.InnerException);

        output.Append("x"u8);
        var write = output.FlushAsync(default);
        var writeError = await Assert.ThrowsAsync<RelayException>(async () => await write);
        Assert.Equal(RelaySide.Downstream, writeError.Side);
        Assert.Equal("broken pipe", writeError.Message);
    }

    [Theory]
    [InlineData(Failure.Throws)]
    [InlineData(Failure.FaultsAtOnce)]
    [InlineData(Failure.FaultsLater)]
    public async Task A_cancelled_read_or_write_stays_a_cancellation(Failure failure)
    {
        var wire = new FailingStream(failure, new OperationCanceledException());
        using var input = new HttpInput(wire, RelaySide.Upstream);
        using var output = new HttpOutput(wire, RelaySide.Downstream);
        var read = input.FillAsync(default);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await read);
        output.Append("x"u8);
        var write = output.FlushAsync(default);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await write);
    }

    [Fact]
    public async Task A_request_head_longer_than_the_limit_is_refused_with_431_not_a_wrapped_failure()
    {
        var endless = new ReplayStream(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nX: " + new string('a', 4000)), later: false);
        using var input = new HttpInput(endless, RelaySide.Downstream);
        var head = input.ReadHeadAsync(default);
        var error = await Assert.ThrowsAsync<HttpWireException>(async () => await head);
        Assert.Equal(431, error.Status);
        Assert.Null(error.InnerException);
    }

    [Fact]
    public async Task The_pool_hands_back_the_most_recently_returned_connection_per_destination_and_drops_expired_ones()
    {
        var pool = new UpstreamConnectionPool<string>();
        await using var a = new UpstreamConnection(Stream.Null);
        await using var b = new UpstreamConnection(Stream.Null);
        await using var c = new UpstreamConnection(Stream.Null);
        Assert.Null(pool.TryTake("x"));
        for (var i = 0; i < 10; i++) pool.Return("y", new UpstreamConnection(Stream.Null));
        pool.Return("x", a);
        pool.Return("x", b);
        pool.Return("z", c);
        Assert.True(a.Reused);
        Assert.Same(b, pool.TryTake("x"));
        Assert.Same(a, pool.TryTake("x"));
        Assert.Null(pool.TryTake("x"));
        for (var i = 0; i < 10; i++) Assert.NotNull(pool.TryTake("y"));
        Assert.Null(pool.TryTake("y"));

        c.IdleSince -= 61_000;
        Assert.Null(pool.TryTake("z"));
    }

    [Fact]
    public void Requests_are_counted_by_their_flags_whichever_string_instance_carries_them()
    {
        var metrics = new ProxyMetrics();
        var labels = metrics.Intern(new MetricLabels { Reporter = "destination", RequestProtocol = "http", ConnectionSecurityPolicy = "mutual_tls" });
        metrics.RecordRequest(labels, 200, ResponseFlags.None, 1, 0, 0);
        metrics.RecordRequest(labels, 200, new string('-', 1), 1, 0, 0);
        metrics.RecordRequest(labels, 503, ResponseFlags.UpstreamConnectionFailure, 1, 0, 0);
        metrics.RecordRequest(labels, 503, new string("UF"), 1, 0, 0);
        metrics.RecordRequest(labels, 403, "RBAC", 1, 0, 0);
        var text = new StringBuilder();
        metrics.WritePrometheus(text);
        var totals = text.ToString().Split('\n').Where(l => l.StartsWith("istio_requests_total{", StringComparison.Ordinal)).ToArray();
        Assert.Equal(3, totals.Length);
        Assert.Contains(totals, l => l.Contains("response_code=\"200\"") && l.Contains("response_flags=\"-\"") && l.EndsWith(" 2"));
        Assert.Contains(totals, l => l.Contains("response_code=\"503\"") && l.Contains("response_flags=\"UF\"") && l.EndsWith(" 2"));
        Assert.Contains(totals, l => l.Contains("response_code=\"403\"") && l.Contains("response_flags=\"RBAC\"") && l.EndsWith(" 1"));
    }

    [Theory]
    [InlineData(403, "RBAC: access denied", false, "HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 20\r\n\r\nRBAC: access denied\n")]
    [InlineData(503, "no healthy upstream\n", true, "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 20\r\nconnection: close\r\n\r\nno healthy upstream\n")]
    [InlineData(418, "caf\u00e9", false, "HTTP/1.1 418 Error\r\ncontent-type: text/plain\r\ncontent-length: 6\r\n\r\ncaf\u00c3\u00a9\n")]
    public async Task A_local_response_is_written_as_one_message(int status, string body, bool close, string expected)
    {
        var sink = new MemoryStream();
        using var down = new HttpOutput(sink, RelaySide.Downstream);
        down.Append("left over"u8);
        await Http1Relay.WriteLocalResponseAsync(down, status, body, close, default);
        Assert.Equal(expected, Encoding.Latin1.GetString(sink.ToArray()));
    }

    [Theory]
    [InlineData(Failure.Throws)]
    [InlineData(Failure.FaultsAtOnce)]
    [InlineData(Failure.FaultsLater)]
    public async Task A_local_response_the_client_is_gone_for_is_dropped_quietly(Failure failure)
    {
        using var down = new HttpOutput(new FailingStream(failure, new IOException("reset")), RelaySide.Downstream);
        await Http1Relay.WriteLocalResponseAsync(down, 503, "gone", close: true, default);
    }

    public enum Failure { Throws, FaultsAtOnce, FaultsLater }

    /// <summary>Each read returns the message (at once, or later on the thread pool); each write is recorded.</summary>
    private sealed class ReplayStream(byte[] message, bool later) : AsyncOnlyStream, IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core;
        public List<string> Writes { get; } = [];

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = Math.Min(message.Length, buffer.Length);
            if (!later)
            {
                message.AsSpan(0, n).CopyTo(buffer.Span);
                return new ValueTask<int>(n);
            }
            _core.Reset();
            ThreadPool.QueueUserWorkItem(_ =>
            {
                message.AsSpan(0, n).CopyTo(buffer.Span);
                _core.SetResult(n);
            });
            return new ValueTask<int>(this, _core.Version);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(Encoding.ASCII.GetString(buffer.Span));
            return later ? new ValueTask(Task.Run(() => { })) : ValueTask.CompletedTask;
        }

        int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);
        ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);
        void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }

    /// <summary>Every read and write fails with <paramref name="error"/>: thrown from the call, or from a task that is already faulted or faults later.</summary>
    private sealed class FailingStream(Failure failure, Exception error) : AsyncOnlyStream
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => failure switch
        {
            Failure.Throws => throw error,
            Failure.FaultsAtOnce => ValueTask.FromException<int>(error),
            _ => new ValueTask<int>(Task.Run<int>(async () => { await Task.Yield(); throw error; })),
        };

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => failure switch
        {
            Failure.Throws => throw error,
            Failure.FaultsAtOnce => ValueTask.FromException(error),
            _ => new ValueTask(Task.Run(async () => { await Task.Yield(); throw error; })),
        };
    }

    /// <summary>A stream used through its asynchronous calls only.</summary>
    private abstract class AsyncOnlyStream : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

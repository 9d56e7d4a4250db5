using System.Buffers;
using System.Collections.Immutable;
using System.Net;
using System.Diagnostics;
using System.Text;
using System.Threading.Tasks.Sources;
using BenchmarkDotNet.Attributes;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Inbound.Sniffing;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Benchmarks.Proxy;

/// <summary>
/// The per-request pieces of the sidecar's path, each on its own: TLS sniffing, host routing,
/// authorization, metrics recording, request-head rewriting with x-forwarded-client-cert, and a whole
/// body-less HTTP/1.1 exchange through the relay over in-memory streams.
///   dotnet run -c Release --project bench/Meshwork.Benchmarks -- --filter '*ProxyHotPath*' --job short --memory
/// </summary>
[MemoryDiagnoser]
public class ProxyHotPathBenchmarks
{
    private static readonly byte[] ClientHello = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
    private static readonly byte[] PlainGet = "GET / HTTP/1.1\r\nHost: upstream.bench\r\n\r\n"u8.ToArray();

    /// <summary>What wrk sends.</summary>
    private static readonly byte[] Request = "GET / HTTP/1.1\r\nHost: 127.0.0.1:18010\r\n\r\n"u8.ToArray();
    /// <summary>What a browser-ish client sends, with a forged XFCC the inbound side must drop.</summary>
    private static readonly byte[] RichRequest = Encoding.ASCII.GetBytes(
        "GET /api/items?page=2 HTTP/1.1\r\nHost: upstream.bench.svc.cluster.local\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n" +
        "Connection: keep-alive\r\nx-forwarded-client-cert: By=forged\r\nx-request-id: 0f8fad5b-d9cb-469f-a165-70867728950e\r\n\r\n");
    private static readonly byte[] Response = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Sun, 22 Nov 2026 10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 100\r\nConnection: keep-alive\r\n\r\n"
        + new string('x', 100));
    private static readonly byte[] XfccField = Encoding.ASCII.GetBytes(
        "x-forwarded-client-cert: By=spiffe://cluster.local/ns/bench/sa/server;Hash=8f43b9a1c2d34e5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6;Subject=\"\";URI=spiffe://cluster.local/ns/bench/sa/client\r\n");
    private static readonly byte[] XfccName = "x-forwarded-client-cert"u8.ToArray();

    private ServiceRouter _router = null!;
    private ProxyMetrics _metrics = null!;
    private LabelsHandle _labels;
    private ImmutableArray<AuthzPolicy> _policies;
    private AuthzRequest _authzRequest;
    private HttpOutput _scratch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var services = ImmutableArray.CreateBuilder<OutboundService>();
        for (var i = 0; i < 1000; i++)
        {
            services.Add(new OutboundService
            {
                Name = $"svc-{i}",
                Namespace = i % 2 == 0 ? "bench" : "other",
                Hostname = $"svc-{i}.{(i % 2 == 0 ? "bench" : "other")}.svc.cluster.local",
                Ports = [new OutboundPort
                {
                    Port = 80, Protocol = "http",
                    Endpoints = [new UpstreamEndpoint { Address = $"127.0.{i / 250}.{i % 250 + 2}", Port = 8080, Tls = UpstreamTlsMode.IstioMutual, Ready = true }],
                    AcceptedIdentities = [$"spiffe://cluster.local/ns/bench/sa/svc-{i}"],
                }],
            });
        }
        _router = new ServiceRouter(services.ToImmutable(), "bench");

        _metrics = new ProxyMetrics();
        _labels = _metrics.Intern(new MetricLabels { Reporter = "destination", RequestProtocol = "http", ConnectionSecurityPolicy = "mutual_tls" });

        _policies =
        [
            new AuthzPolicy { Name = "bench/deny-admin", Action = AuthzAction.Deny, Rules = [new AuthzRule { To = [new AuthzOperation { Paths = ["/admin*"] }] }] },
            new AuthzPolicy
            {
                Name = "bench/allow-client", Action = AuthzAction.Allow,
                Rules = [new AuthzRule
                {
                    From = [new AuthzSource { Principals = ["cluster.local/ns/bench/sa/client"] }],
                    To = [new AuthzOperation { Methods = ["GET", "HEAD"], Paths = ["/api/*"] }],
                }],
            },
        ];
        _authzRequest = new AuthzRequest
        {
            IsHttp = true, Principal = "cluster.local/ns/bench/sa/client", SourceIp = IPAddress.Loopback, RemoteIp = IPAddress.Loopback,
            DestinationIp = IPAddress.Loopback, DestinationPort = 8000, Host = "upstream.bench", Method = "GET", Path = "/api/items",
            Header = static _ => null,
        };

        _scratch = new HttpOutput(Stream.Null, RelaySide.Upstream);
    }

    [Benchmark]
    public int SniffTls() => (int)ProtocolSniffer.Sniff(ClientHello);

    [Benchmark]
    public int SniffPlaintext() => (int)ProtocolSniffer.Sniff(PlainGet);

    [Benchmark]
    public bool HostRouting() => _router.TryResolve("svc-500.bench", 80, out _, out _);

    [Benchmark]
    public bool HostRoutingShortName() => _router.TryResolve("svc-500", 80, out _, out _);

    [Benchmark]
    public bool Authorization() => AuthzEvaluator.Evaluate(_policies, _authzRequest).Allowed;

    [Benchmark]
    public void MetricsRecording() => _metrics.RecordRequest(_labels, 200, ResponseFlags.None, 0.42, 0, 12);

    /// <summary>Inbound head rewrite: hop-by-hop fields out, the client's XFCC out, the proxy's XFCC in.</summary>
    [Benchmark]
    public int XfccHeadRewrite()
    {
        _scratch.Discard();
        var head = HttpHead.ParseRequest(RichRequest);
        Http1Relay.WriteRequestHead(head, _scratch, Http1Relay.OriginForm(head.Second), XfccName, XfccField);
        return _scratch.Written.Length;
    }

    /// <summary>The proxy's own answer, as to a request authorization denies (the send completes at once).</summary>
    [Benchmark]
    public ValueTask LocalResponse() => Http1Relay.WriteLocalResponseAsync(_scratch, 403, "RBAC: access denied", close: false, default);

    /// <summary>
    /// One body-less request forwarded on kept-alive connections, as the sidecar's HTTP/1.1 loop does it per
    /// request (InboundHttp1Relay, FixedUpstreamHandler): wait for the next request head, parse and rewrite it,
    /// take the upstream connection from the pool, exchange (the response arrives after the read is posted,
    /// as on a socket), return the connection, record the request's metrics. The connections and their buffers
    /// are made once, in setup: what is measured is the per-request cost, allocation included.
    /// </summary>
    [Benchmark(OperationsPerInvoke = RequestsPerInvoke)]
    public Task<int> ForwardWithoutBody() => ForwardAsync(_later);

    /// <summary>
    /// The same with every read completing at once (the bytes were already there, as with pipelined requests):
    /// the relay's own work without the thread-pool hop of a waiting read, which dominates the timing above.
    /// </summary>
    [Benchmark(OperationsPerInvoke = RequestsPerInvoke)]
    public Task<int> ForwardWithoutBodyDataReady() => ForwardAsync(_ready);

    private static async Task<int> ForwardAsync(Connections c)
    {
        // One async method for the whole loop, as the sidecar has one per connection: its own box is made once per invocation.
        var statuses = 0;
        for (var i = 0; i < RequestsPerInvoke; i++)
        {
            var headLength = await c.DownIn.ReadHeadAsync(default).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            c.Pending.Discard();
            var frame = Prepare(c.DownIn, headLength, c.Pending);
            var up = c.Pool.TryTake(0) ?? throw new InvalidOperationException("the upstream connection was not returned");
            up.Output.Append(c.Pending.Written);
            var result = await Http1Relay.ExchangeAsync(c.DownIn, c.DownOut, frame, up, default).ConfigureAwait(false);
            if (!result.UpstreamReusable || result.Status != 200) throw new InvalidOperationException($"unexpected exchange result {result}");
            c.Pool.Return(0, up);
            c.Metrics.RecordRequest(c.Labels, result.Status, ResponseFlags.None, Stopwatch.GetElapsedTime(started).TotalMilliseconds, result.RequestBodyBytes, result.ResponseBodyBytes);
            statuses += result.Status;
        }
        return statuses;
    }

    private static Http1Relay.RequestFrame Prepare(HttpInput downIn, int headLength, HttpOutput pending)
    {
        var head = HttpHead.ParseRequest(downIn.Span[..headLength]);
        var frame = Http1Relay.WriteRequestHead(head, pending, Http1Relay.OriginForm(head.Second), XfccName, XfccField, PeerPrefix);
        downIn.Consume(headLength);
        return frame;
    }

    private const int RequestsPerInvoke = 32;
    private static readonly byte[] PeerPrefix = "x-meshwork-peer-"u8.ToArray();
    private Connections _later = null!, _ready = null!;

    [GlobalSetup(Targets = [nameof(ForwardWithoutBody), nameof(ForwardWithoutBodyDataReady)])]
    public void SetupForwarding()
    {
        Setup();
        _later = new Connections(later: true, _metrics, _labels);
        _ready = new Connections(later: false, _metrics, _labels);
    }

    /// <summary>A kept-alive downstream connection and a pool holding one kept-alive upstream connection.</summary>
    private sealed class Connections
    {
        public Connections(bool later, ProxyMetrics metrics, LabelsHandle labels)
        {
            var downstream = new AsyncReplayStream(Request, later);
            DownIn = new HttpInput(downstream, RelaySide.Downstream);
            DownOut = new HttpOutput(downstream, RelaySide.Downstream);
            Pool.Return(0, new UpstreamConnection(new AsyncReplayStream(Response, later)));
            Metrics = metrics;
            Labels = labels;
        }

        public HttpInput DownIn { get; }
        public HttpOutput DownOut { get; }
        public HttpOutput Pending { get; } = new(Stream.Null, RelaySide.Upstream);
        public UpstreamConnectionPool<int> Pool { get; } = new();
        public ProxyMetrics Metrics { get; }
        public LabelsHandle Labels { get; }
    }

    /// <summary>
    /// A connection whose peer answers each write with one canned message: every read completes later, on
    /// the thread pool (as a socket read posted before the bytes arrive), or at once; neither allocates.
    /// Writes complete at once.
    /// </summary>
    private sealed class AsyncReplayStream(byte[] message, bool later) : Stream, IValueTaskSource<int>, IThreadPoolWorkItem
    {
        private ManualResetValueTaskSourceCore<int> _core;
        private Memory<byte> _target;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!later)
            {
                message.CopyTo(buffer);
                return new ValueTask<int>(message.Length);
            }
            _core.Reset();
            _target = buffer;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            return new ValueTask<int>(this, _core.Version);
        }

        void IThreadPoolWorkItem.Execute()
        {
            message.CopyTo(_target);
            _target = default;
            _core.SetResult(message.Length);
        }

        int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);
        ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);
        void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) { }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

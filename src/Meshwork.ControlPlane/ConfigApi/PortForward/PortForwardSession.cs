using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

/// <summary>
/// One <c>kubectl port-forward</c> connection, served as the kubelet serves it
/// (k8s.io/kubelet cri/streaming/portforward): SPDY/3 over the upgraded connection or tunnelled in a
/// WebSocket; every local connection kubectl accepts opens a pair of streams, and once both are open
/// the pod's port is dialled on the pod's own localhost and the bytes relayed both ways (<see cref="PortForwardSession"/>'s relay
/// part). Pings are answered; SETTINGS and WINDOW_UPDATE change nothing, since kubectl's SPDY library
/// keeps no flow-control windows and neither does this side: a bounded buffer per stream and a reader
/// that waits for it stand in for them.
/// </summary>
public sealed partial class PortForwardSession
{
    /// <summary>Forwarded connections open at once on one session; a stream beyond them is refused.</summary>
    public const int MaxPairs = 128;

    /// <summary>How long the second stream of a pair may take to follow the first (the kubelet's stream creation timeout).</summary>
    private static readonly TimeSpan PairLimit = TimeSpan.FromSeconds(30);

    /// <summary>How long a GOAWAY may take to go out when the session ends on the client's protocol error.</summary>
    private static readonly TimeSpan GoAwayLimit = TimeSpan.FromSeconds(5);

    private readonly SpdyFrameReader _reader;
    private readonly SpdyFrameWriter _writer;
    private readonly IPodPorts _ports;
    private readonly string _namespace;
    private readonly string _pod;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<uint, ForwardStream> _streams = new();
    private readonly ConcurrentDictionary<string, StreamPair> _pairs = new(StringComparer.Ordinal);
    private readonly List<Task> _pairTasks = [];
    private uint _lastStreamId;

    public PortForwardSession(Stream transport, IPodPorts ports, string @namespace, string pod, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _reader = new SpdyFrameReader(transport);
        _writer = new SpdyFrameWriter(transport);
        _ports = ports;
        _namespace = @namespace;
        _pod = pod;
        _logger = logger;
    }

    private int _forwarded;

    /// <summary>Connections forwarded so far (pairs that opened both streams).</summary>
    public int Forwarded => Volatile.Read(ref _forwarded);

    /// <summary>Serves the session until the client goes away, says GOAWAY, breaks the protocol, or the host stops.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        try
        {
            while (await _reader.ReadAsync(session.Token).ConfigureAwait(false) is { } frame)
            {
                if (frame is GoAwayFrame) break;
                await HandleAsync(frame, session.Token).ConfigureAwait(false);
            }
        }
        catch (SpdyProtocolException e)
        {
            PortForwardLog.ProtocolError(_logger, _pod, e.Message);
            using var bound = new CancellationTokenSource(GoAwayLimit);
            await Quietly(_writer.WriteAsync(new GoAwayFrame(_lastStreamId, SpdyGoAwayStatus.ProtocolError), bound.Token).AsTask()).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The client went away or the host is stopping.
        }
        finally
        {
            await session.CancelAsync().ConfigureAwait(false);
            foreach (var stream in _streams.Values) FinishInbound(stream);
            await Task.WhenAll(_pairTasks).ConfigureAwait(false);
            _reader.Dispose();
        }
    }

    private async ValueTask HandleAsync(SpdyFrame frame, CancellationToken session)
    {
        switch (frame)
        {
            case SynStreamFrame open:
                await OpenAsync(open, session).ConfigureAwait(false);
                break;
            case DataFrame data:
                await ReceiveAsync(data).ConfigureAwait(false);
                break;
            case RstStreamFrame reset:
                Reset(reset.StreamId);
                break;
            case PingFrame ping when (ping.Id & 1) == 1:
                // The client's pings carry odd ids; the answer is the same frame (draft 3, section 2.6.5).
                await _writer.WriteAsync(ping, session).ConfigureAwait(false);
                break;
            default:
                // SETTINGS, WINDOW_UPDATE, HEADERS and SYN_REPLY ask nothing of a port-forward server.
                break;
        }
    }

    /// <summary>SYN_STREAM: checks the stream's headers, pairs it with its sibling, and accepts it with a SYN_REPLY.</summary>
    private async ValueTask OpenAsync(SynStreamFrame open, CancellationToken session)
    {
        // Draft 3, section 2.3.2: the client's stream ids are odd and increase.
        if ((open.StreamId & 1) == 0 || open.StreamId <= _lastStreamId)
        {
            throw new SpdyProtocolException($"stream {open.StreamId} is not an odd id above {_lastStreamId}");
        }
        _lastStreamId = open.StreamId;
        if (StreamHeaders.Read(open.Headers, out var isData, out var port, out var requestId) is { } invalid)
        {
            PortForwardLog.StreamRefused(_logger, _pod, open.StreamId, invalid);
            await _writer.WriteAsync(new RstStreamFrame(open.StreamId, SpdyResetStatus.RefusedStream), session).ConfigureAwait(false);
            return;
        }
        if (!_pairs.TryGetValue(requestId!, out var pair))
        {
            if (_pairs.Count >= MaxPairs)
            {
                PortForwardLog.StreamRefused(_logger, _pod, open.StreamId, $"{MaxPairs} forwarded connections are already open");
                await _writer.WriteAsync(new RstStreamFrame(open.StreamId, SpdyResetStatus.RefusedStream), session).ConfigureAwait(false);
                return;
            }
            pair = new StreamPair(requestId!, session);
            _pairs[requestId!] = pair;
            _pairTasks.RemoveAll(t => t.IsCompleted);
            _pairTasks.Add(RunPairAsync(pair, session));
        }
        if (pair.Has(isData))
        {
            PortForwardLog.StreamRefused(_logger, _pod, open.StreamId, $"request {requestId} already has its {(isData ? "data" : "error")} stream");
            await _writer.WriteAsync(new RstStreamFrame(open.StreamId, SpdyResetStatus.StreamInUse), session).ConfigureAwait(false);
            return;
        }
        var stream = new ForwardStream(open.StreamId, isData, port, pair);
        _streams[open.StreamId] = stream;
        if (open.Fin) FinishInbound(stream);
        // Replied before the pair may start forwarding, so that no frame of the stream precedes its SYN_REPLY.
        await _writer.WriteAsync(SpdyFrameWriter.Accept(open.StreamId), session).ConfigureAwait(false);
        if (!pair.TryAdd(stream))
        {
            // Its sibling waited too long and was ended already.
            _streams.TryRemove(open.StreamId, out _);
            stream.MarkReset();
            await _writer.WriteAsync(new RstStreamFrame(open.StreamId, SpdyResetStatus.Cancel), session).ConfigureAwait(false);
        }
    }

    /// <summary>DATA from the client: on a data stream, into its bounded buffer towards the pod; on an error stream, nothing is expected but its end.</summary>
    private async ValueTask ReceiveAsync(DataFrame data)
    {
        // A stream that already ended here may still see frames the client sent before it knew: they are dropped.
        if (!_streams.TryGetValue(data.StreamId, out var stream) || stream.ClientFinished) return;
        if (stream.Inbound is { } inbound && !data.Data.IsEmpty)
        {
            // Waits while the buffer is full: the pod reads slower than the client sends.
            await inbound.Writer.WriteAsync(data.Data).ConfigureAwait(false);
        }
        if (data.Fin) FinishInbound(stream);
    }

    /// <summary>RST_STREAM from the client: kubectl resets the data stream once it has read the pod's last byte.</summary>
    private void Reset(uint streamId)
    {
        if (!_streams.TryRemove(streamId, out var stream)) return;
        stream.MarkReset();
        FinishInbound(stream);
        if (stream.IsData) stream.Pair.StopRelay();
    }

    /// <summary>Nothing more comes from the client on this stream (reader side only: the pipe's writer belongs to the frame reader).</summary>
    private static void FinishInbound(ForwardStream stream)
    {
        if (stream.ClientFinished) return;
        stream.ClientFinished = true;
        stream.Inbound?.Writer.Complete();
    }

    private void Forget(StreamPair pair)
    {
        _pairs.TryRemove(pair.RequestId, out _);
        if (pair.Error is { } error) _streams.TryRemove(error.Id, out _);
        if (pair.Data is { } data) _streams.TryRemove(data.Id, out _);
    }

    private static async Task Quietly(Task task)
    {
        try { await task.ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or OperationCanceledException or WebSocketException or ObjectDisposedException) { }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}

using System.IO.Pipelines;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

/// <summary>
/// One SPDY stream of a port-forward connection, as the client opened it: its id, which half of a
/// forwarded connection it is, and the port it names.
/// </summary>
internal sealed class ForwardStream(uint id, bool isData, int port, StreamPair pair)
{
    public uint Id { get; } = id;
    public bool IsData { get; } = isData;
    public int Port { get; } = port;
    public StreamPair Pair { get; } = pair;

    /// <summary>For the data stream: the client's bytes on their way to the pod, bounded so a slow pod slows the client down.</summary>
    public Pipe? Inbound { get; } = isData ? new Pipe(new PipeOptions(pauseWriterThreshold: 256 * 1024, resumeWriterThreshold: 128 * 1024, useSynchronizationContext: false)) : null;

    /// <summary>The client ended its half (FIN) or reset the stream: nothing more comes from it.</summary>
    public bool ClientFinished { get; set; }

    private int _reset;

    /// <summary>The client reset the stream: nothing more may be sent on it. Set by the frame reader, read by the relay.</summary>
    public bool IsReset => Volatile.Read(ref _reset) == 1;

    public void MarkReset() => Volatile.Write(ref _reset, 1);
}

/// <summary>
/// The two streams kubectl opens per forwarded connection (k8s.io/api core/v1: header <c>streamType</c>
/// error or data, <c>port</c>, and a <c>requestID</c> that pairs them): the data stream carries the
/// connection's bytes both ways; the error stream carries a message when forwarding fails, and its
/// end tells the client the forwarding is over.
/// </summary>
internal sealed class StreamPair(string requestId, CancellationToken session) : IDisposable
{
    private readonly CancellationTokenSource _relay = CancellationTokenSource.CreateLinkedTokenSource(session);
    private readonly Lock _gate = new();
    private bool _expired;

    public string RequestId { get; } = requestId;
    public ForwardStream? Error { get; private set; }
    public ForwardStream? Data { get; private set; }

    /// <summary>Completes once both streams are open.</summary>
    public TaskCompletionSource Complete { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled when the client resets the data stream or the session ends: the relay stops.</summary>
    public CancellationToken Relay => _relay.Token;

    /// <summary>True when the pair already has a stream of that kind (a second one is refused).</summary>
    public bool Has(bool isData) => isData ? Data is not null : Error is not null;

    /// <summary>False once the pair has expired waiting for its second stream: that stream comes too late.</summary>
    public bool TryAdd(ForwardStream stream)
    {
        lock (_gate)
        {
            if (_expired || Has(stream.IsData)) return false;
            if (stream.IsData) Data = stream;
            else Error = stream;
        }
        if (Data is not null && Error is not null) Complete.TrySetResult();
        return true;
    }

    /// <summary>Closes the pair to streams still to come; true when it was still incomplete (then it expired).</summary>
    public bool Expire()
    {
        lock (_gate)
        {
            _expired = !Complete.Task.IsCompleted;
            return _expired;
        }
    }

    public void StopRelay()
    {
        try { _relay.Cancel(); } catch (ObjectDisposedException) { }
    }

    public void Dispose() => _relay.Dispose();
}

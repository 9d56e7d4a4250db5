using System.Threading.Tasks.Sources;

namespace Meshwork.Proxy.Transport.Loop;

/// <summary>
/// One direction (read or write) of a <see cref="LoopSocket"/>: whether the kernel may have something for it,
/// and the one pending wait for that, reused for every wait (no allocation per wait).
/// </summary>
/// <remarks>
/// Readiness is a sequence the loop bumps on each edge-triggered event, and the sequence at which the socket's
/// user last found the direction empty: the direction is ready while they differ. A user samples the sequence
/// before its syscall and marks it empty at that sample, so an event that arrives during the syscall (a later
/// sequence) keeps the direction ready: the wake-up is never lost, whichever thread the event and the wait are on.
/// </remarks>
internal sealed class Readiness : IValueTaskSource
{
    private int _sequence = 1;
    private int _emptyAt;
    // 1 while a wait is published and not yet completed: whoever moves it to 0 (an event, the cancellation,
    // the socket's disposal, or the waiter itself on a re-check) is the one that completes it.
    private int _waiting;
    private ManualResetValueTaskSourceCore<bool> _core; // continuations run inline, on the thread that completes
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _cancellation;
    private volatile Exception? _closed;

    public Readiness(bool ready) => _emptyAt = ready ? 0 : _sequence;

    /// <summary>The sequence to sample before a syscall, for <see cref="MarkEmpty"/>.</summary>
    public int Sequence => Volatile.Read(ref _sequence);

    public bool IsReady(int sequence) => sequence != _emptyAt;

    /// <summary>The syscall made at <paramref name="sequence"/> found the direction drained (EAGAIN, or less than asked).</summary>
    public void MarkEmpty(int sequence) => _emptyAt = sequence;

    /// <summary>The loop saw an event for this direction: it is ready, and a pending wait completes (inline).</summary>
    public void Signal()
    {
        Interlocked.Increment(ref _sequence);
        if (Interlocked.CompareExchange(ref _waiting, 0, 1) == 1) _core.SetResult(true);
    }

    /// <summary>The socket is disposed: a pending wait and every later one throw <paramref name="error"/>.</summary>
    public void Close(Exception error)
    {
        _closed = error;
        if (Interlocked.CompareExchange(ref _waiting, 0, 1) == 1) _core.SetException(error);
    }

    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        if (_closed is { } closed) return ValueTask.FromException(closed);
        if (IsReady(Sequence)) return default;
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        _core.Reset();
        _waitToken = cancellationToken;
        // Registered before the wait is published, so that whoever completes it finds the registration to undo.
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((Readiness)state!).Cancel(token), this);
        Interlocked.Exchange(ref _waiting, 1);
        // An event (or a cancellation, or the disposal) between the check above and the publication saw no waiter.
        if ((IsReady(Sequence) || _closed is not null || cancellationToken.IsCancellationRequested)
            && Interlocked.CompareExchange(ref _waiting, 0, 1) == 1)
        {
            _cancellation.Unregister();
            _cancellation = default;
            if (_closed is { } error) return ValueTask.FromException(error);
            return IsReady(Sequence) ? default : ValueTask.FromCanceled(cancellationToken);
        }
        return new ValueTask(this, _core.Version);
    }

    private void Cancel(CancellationToken token)
    {
        // A late callback of an earlier wait's token must not cancel this wait (the same token would cancel it anyway).
        if (token != _waitToken) return;
        if (Interlocked.CompareExchange(ref _waiting, 0, 1) == 1) _core.SetException(new OperationCanceledException(token));
    }

    void IValueTaskSource.GetResult(short token)
    {
        _cancellation.Unregister();
        _cancellation = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}

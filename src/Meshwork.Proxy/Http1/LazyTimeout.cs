using System.Diagnostics;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// A timeout for one phase at a time of a kept-alive connection (waiting for the next request, reading a head):
/// <see cref="Token"/> is cancelled once a phase has lasted the whole timeout. Starting and stopping a phase
/// writes a timestamp and touches no timer, so a request costs no timer re-arm (with
/// <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/>, each phase re-armed the timer twice, and each re-arm
/// takes the runtime's timer-queue lock). Instead one timer per connection wakes at most once per timeout, looks at
/// the phase running then, and either cancels it or sleeps until that phase's own deadline.
/// </summary>
/// <remarks>The token is also cancelled when <paramref name="stopping"/> or <paramref name="closing"/> is.</remarks>
internal sealed class LazyTimeout : IDisposable
{
    // _started holds the Stopwatch timestamp of the running phase, or one of these.
    private const long NotRunning = long.MinValue;
    private const long RanOut = long.MaxValue;

    private readonly TimeSpan _timeout;
    private readonly CancellationToken _stopping, _closing;
    private readonly Timer? _timer;
    private CancellationTokenSource _source;
    private long _started = NotRunning;

    public LazyTimeout(TimeSpan timeout, CancellationToken stopping, CancellationToken closing = default)
    {
        _timeout = timeout;
        _stopping = stopping;
        _closing = closing;
        _source = CancellationTokenSource.CreateLinkedTokenSource(stopping, closing);
        if (timeout != Timeout.InfiniteTimeSpan)
            _timer = new Timer(static state => ((LazyTimeout)state!).Tick(), this, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled when the running phase runs out of time, or the connection stops or closes.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>True when the timeout (not stopping or closing) cancelled <see cref="Token"/> for the phase not yet stopped.</summary>
    public bool Expired => Volatile.Read(ref _started) == RanOut;

    /// <summary>A timed phase begins now.</summary>
    public void Start()
    {
        if (_timer is null) return;
        // A phase that ran out stays out: its token is cancelled until Stop gives the next phase a fresh one.
        Interlocked.CompareExchange(ref _started, Stopwatch.GetTimestamp(), NotRunning);
    }

    /// <summary>The phase ended. One that ran out of time as it ended leaves a fresh token for the next phase.</summary>
    public void Stop()
    {
        if (_timer is null) return;
        var started = Volatile.Read(ref _started);
        if (started != RanOut && Interlocked.CompareExchange(ref _started, NotRunning, started) == started) return;
        // The timer won the race: the phase's token is cancelled, so the next phase gets a new one, and the timer
        // (which stops looking once a phase ran out) is armed again.
        var spent = _source;
        Volatile.Write(ref _source, CancellationTokenSource.CreateLinkedTokenSource(_stopping, _closing));
        Volatile.Write(ref _started, NotRunning);
        spent.Dispose();
        try { _timer.Change(_timeout, Timeout.InfiniteTimeSpan); }
        catch (ObjectDisposedException) { }
    }

    private void Tick()
    {
        var source = Volatile.Read(ref _source);
        var started = Volatile.Read(ref _started);
        var next = _timeout;
        if (started == RanOut) return;
        if (started != NotRunning)
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (elapsed >= _timeout)
            {
                // Only the phase looked at: one that ended (or a new one that began) meanwhile is not cancelled.
                if (Interlocked.CompareExchange(ref _started, RanOut, started) == started)
                {
                    try { source.Cancel(); }
                    catch (ObjectDisposedException) { }
                    return;
                }
            }
            else
            {
                // At least a millisecond: the timer's resolution, so that it never spins on a deadline a tick away.
                next = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, (_timeout - elapsed).Ticks));
            }
        }
        try { _timer!.Change(next, Timeout.InfiniteTimeSpan); }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _source.Dispose();
    }
}

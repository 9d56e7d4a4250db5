using System.Runtime.CompilerServices;

namespace Meshwork.Proxy.Http1;

/// <summary>
/// The idle timeout of a kept-alive downstream connection (Envoy's HTTP connection manager
/// <c>common_http_protocol_options.idle_timeout</c>, 1 h by default): between two requests the client has
/// this long to send the next request's first byte, else the connection is closed. Only the waits between
/// requests are timed, so a long request or a slow response never counts as idle; one <see cref="LazyTimeout"/>
/// per connection, so a request costs neither an allocation nor a timer re-arm.
/// </summary>
/// <remarks>A wait also ends when <paramref name="stopping"/> or <paramref name="closing"/> is cancelled (the proxy stopping, the connection closing).</remarks>
internal sealed class DownstreamIdleTimer(TimeSpan timeout, CancellationToken stopping, CancellationToken closing = default) : IDisposable
{
    private readonly LazyTimeout _idle = new(timeout, stopping, closing);

    /// <summary>True once a wait ended because the connection stayed idle for the whole timeout.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>
    /// True when the next request's first bytes are buffered in <paramref name="input"/>; false when the client
    /// closed, the idle timeout elapsed (<see cref="TimedOut"/>), or the proxy is stopping.
    /// </summary>
    /// <remarks>Its state machine comes from a pool: a kept-alive connection waits once per request, nearly always asynchronously.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<bool> WaitForRequestAsync(HttpInput input)
    {
        if (input.Buffered > 0) return true;
        _idle.Start();
        try
        {
            if (input.Pollable is not { } pollable) return await input.FillAsync(_idle.Token).ConfigureAwait(false);
            // On a stream read on readiness the wait is this frame's own: the next request resumes it directly.
            while (true)
            {
                var read = input.TryFillNow();
                if (read >= 0) return read > 0;
                try { await pollable.WaitToReadAsync(_idle.Token).ConfigureAwait(false); }
                catch (Exception e) when (HttpInput.IsTransportFailure(e)) { throw new RelayException(input.Side, e.Message, e); }
            }
        }
        catch (OperationCanceledException)
        {
            TimedOut = _idle.Expired;
            return false;
        }
        finally
        {
            _idle.Stop();
        }
    }

    public void Dispose() => _idle.Dispose();
}

using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// Lets TLS handshakes on a listener run a few at a time. In a connect storm (every proxy
/// reconnecting after a control-plane restart) every handshake otherwise starts at once: each
/// advances a little on a busy host, nearly all outlast the handshake timeout together, fail and
/// are retried, so the same work is done several times over and for a long while nothing
/// completes (PushBench, 1,000 proxies: 6,236 failed handshakes, no stream admitted in the first
/// minute, 277 s to all ACKed). A queued connection waits before its handshake, where the handshake
/// timeout does not run yet; one that waits longer than <see cref="PushOptions.HandshakeQueueWait"/>
/// is closed, and its proxy retries with its backoff.
/// </summary>
public sealed class TlsHandshakeGate : IDisposable
{
    private readonly SemaphoreSlim? _slots;
    private readonly TimeSpan _wait;
    private readonly int _capacity;
    private long _closedUnserved;
    private int _queued;

    public TlsHandshakeGate(PushOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _capacity = options.ConcurrentHandshakes;
        _slots = _capacity > 0 ? new SemaphoreSlim(_capacity, _capacity) : null;
        _wait = options.HandshakeQueueWait;
    }

    /// <summary>Connections closed because no handshake slot freed up in time.</summary>
    public long ClosedUnserved => Interlocked.Read(ref _closedUnserved);

    /// <summary>Handshakes running now.</summary>
    public int Running => _slots is { } slots ? _capacity - slots.CurrentCount : 0;

    /// <summary>Connections waiting for their handshake to start.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Adds HTTPS to <paramref name="listen"/> with its handshakes admitted through this gate.</summary>
    public void UseHttps(ListenOptions listen, HttpsConnectionAdapterOptions https)
    {
        ArgumentNullException.ThrowIfNull(listen);
        if (_slots is not { } slots)
        {
            listen.UseHttps(https);
            return;
        }
        // Kestrel runs connection middleware in the order added: the first waits for a slot before the
        // handshake, the one after UseHttps gives it back as soon as the handshake is done.
        listen.Use(next => async connection =>
        {
            var slot = await AcquireAsync(slots, connection.ConnectionClosed).ConfigureAwait(false);
            if (slot is null)
            {
                Interlocked.Increment(ref _closedUnserved);
                return;
            }
            connection.Features.Set(slot);
            try
            {
                await next(connection).ConfigureAwait(false);
            }
            finally
            {
                slot.Dispose();
            }
        });
        listen.UseHttps(https);
        listen.Use(next => connection =>
        {
            connection.Features.Get<HandshakeSlot>()?.Dispose();
            return next(connection);
        });
    }

    private async Task<HandshakeSlot?> AcquireAsync(SemaphoreSlim slots, CancellationToken closed)
    {
        Interlocked.Increment(ref _queued);
        try
        {
            return await slots.WaitAsync(_wait, closed).ConfigureAwait(false) ? new HandshakeSlot(slots) : null;
        }
        catch (OperationCanceledException) when (closed.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            Interlocked.Decrement(ref _queued);
        }
    }

    public void Dispose() => _slots?.Dispose();

    /// <summary>A running handshake's place; given back once, when the handshake ends either way.</summary>
    private sealed class HandshakeSlot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}

using System.Threading.Channels;
using Meshwork.Identity;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Registry;

/// <summary>Where a proxy stands with the configuration it was sent.</summary>
public enum ProxySyncState
{
    /// <summary>The proxy ACKed the last snapshot it was sent.</summary>
    Synced,
    /// <summary>A newer snapshot was sent (or is being generated) and not yet ACKed.</summary>
    Stale,
    /// <summary>The proxy rejected the last snapshot it was sent and runs an older one.</summary>
    Nack,
    /// <summary>The stream is gone; the proxy keeps running its last snapshot.</summary>
    Disconnected,
}

/// <summary>
/// One proxy's stream: what it registered, who its certificate says it is, and the push/ACK
/// bookkeeping. The pending snapshot is a one-slot mailbox: a newer snapshot replaces one not yet
/// written, so a slow proxy gets the newest configuration, never a backlog (Istio's push queue
/// merges pending pushes per connection the same way).
/// </summary>
public sealed class ProxyConnection
{
    private readonly object _gate = new();
    private readonly Channel<ProxySnapshot> _pending = Channel.CreateBounded<ProxySnapshot>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly CancellationTokenSource _closed = new();
    private long _offeredRevision = long.MinValue;
    private string? _offeredVersion;
    private ProxySnapshot? _offered;
    private long _nonce;
    // Delta bookkeeping: the snapshot the proxy runs once it applied everything sent (what the next
    // delta is computed against), the last one it ACKed (what it keeps after a NACK), the ones sent
    // and not yet answered, and whether the next line must be a full snapshot.
    private ProxySnapshot? _base;
    private ProxySnapshot? _acked;
    private readonly Queue<ProxySnapshot> _unanswered = new();
    private bool _needsFull = true;
    // What the proxy said it holds when it connected, usable once: for the stream's first line.
    private HeldSnapshot? _held;
    private const int UnansweredKept = 4;

    internal ProxyConnection(string id, ProxyRegistration registration, SpiffeId identity, DateTimeOffset connectedAt)
    {
        Id = id;
        // The held parts are used once, for the first line, and may be a megabyte (10,000 services): not kept with the
        // registration, which lives as long as the stream and is hashed as a generation input on every push.
        Registration = registration.Held is null ? registration : registration with { Held = null };
        Identity = identity;
        ConnectedAt = connectedAt;
        // A proxy that reconnects says what it runs; an equal snapshot is then not resent.
        if (registration.CurrentVersion is { Length: > 0 } current)
        {
            LastSentVersion = current;
            AckedVersion = current;
            _offeredVersion = current;
            _held = registration.Deltas ? registration.Held : null;
        }
    }

    public string Id { get; }
    public ProxyRegistration Registration { get; }
    public SpiffeId Identity { get; }
    public DateTimeOffset ConnectedAt { get; }

    public string? LastSentVersion { get; private set; }
    public string? LastSentNonce { get; private set; }
    public DateTimeOffset? LastSentAt { get; private set; }
    public string? AckedVersion { get; private set; }
    public DateTimeOffset? AckedAt { get; private set; }
    public string? NackVersion { get; private set; }
    public string? NackError { get; private set; }
    public DateTimeOffset? DisconnectedAt { get; private set; }
    /// <summary>Why the last generation for this proxy failed; cleared by the next success.</summary>
    public string? GenerationError { get; private set; }

    /// <summary>Cancelled when the stream ends or another stream of the same proxy replaces it.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>The generation inputs' hash and the snapshot made from them (skip regeneration when equal).</summary>
    internal (string InputHash, ProxySnapshot Snapshot)? LastGenerated { get; set; }

    public ProxySyncState State
    {
        get
        {
            lock (_gate)
            {
                if (DisconnectedAt is not null) return ProxySyncState.Disconnected;
                if (LastSentVersion is null) return ProxySyncState.Stale;
                if (NackVersion == LastSentVersion) return ProxySyncState.Nack;
                return AckedVersion == LastSentVersion ? ProxySyncState.Synced : ProxySyncState.Stale;
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="snapshot"/> unless it is what was last queued, or it was generated from
    /// an older mesh revision than what was last queued (two pushes racing). Returns true when queued.
    /// </summary>
    public bool Offer(ProxySnapshot snapshot, long revision)
    {
        lock (_gate)
        {
            if (revision < _offeredRevision) return false;
            _offeredRevision = revision;
            GenerationError = null;
            if (snapshot.Version == _offeredVersion)
            {
                // A proxy that reconnected running this very content (equal version, equal content):
                // later changes can go to it as deltas against it.
                if (_base is null && snapshot.Version == AckedVersion) { _base = _acked = snapshot; _needsFull = false; }
                return false;
            }
            _offeredVersion = snapshot.Version;
            _offered = snapshot;
            _pending.Writer.TryWrite(snapshot);
            return true;
        }
    }

    internal void RecordGenerationError(string error)
    {
        lock (_gate) GenerationError = error;
    }

    /// <summary>True when a snapshot waits to be written.</summary>
    public bool HasPending => _pending.Reader.Count > 0;

    /// <summary>The next snapshot to write, or null when <paramref name="idle"/> passed without one (time for a heartbeat).</summary>
    public async ValueTask<ProxySnapshot?> TakeAsync(TimeSpan idle, TimeProvider time, CancellationToken cancellationToken)
    {
        if (_pending.Reader.TryRead(out var ready)) return ready;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var timer = time.CreateTimer(static s => ((CancellationTokenSource)s!).Cancel(), timeout, idle, Timeout.InfiniteTimeSpan);
        try
        {
            await _pending.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        return _pending.Reader.TryRead(out var next) ? next : null;
    }

    /// <summary>True when <paramref name="snapshot"/> is what the proxy was last sent and no full snapshot was asked for since.</summary>
    internal bool AlreadySent(ProxySnapshot snapshot)
    {
        lock (_gate) return snapshot.Version == LastSentVersion && !(_needsFull && LastSentVersion is not null && _base is null);
    }

    /// <summary>
    /// Records <paramref name="snapshot"/> as being written to the stream. Returns the nonce it is sent
    /// with and the snapshot a delta may be computed against: null when it must go whole (the proxy
    /// reads full snapshots only, this is the stream's first, or the proxy asked for a resync). For the
    /// stream's first line, also the parts the proxy said it holds (a delta may be computed against those).
    /// </summary>
    internal (string Nonce, ProxySnapshot? Base, HeldSnapshot? Held) RecordSent(ProxySnapshot snapshot, DateTimeOffset at)
    {
        lock (_gate)
        {
            var nonce = (++_nonce).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var deltaBase = Registration.Deltas && !_needsFull ? _base : null;
            var held = deltaBase is null && _base is null ? _held : null;
            _held = null;
            _needsFull = false;
            _base = snapshot;
            _unanswered.Enqueue(snapshot);
            if (_unanswered.Count > UnansweredKept) _unanswered.Dequeue();
            LastSentVersion = snapshot.Version;
            LastSentNonce = nonce;
            LastSentAt = at;
            return (nonce, deltaBase, held);
        }
    }

    /// <summary>Records an ACK (error null) or NACK. Responses to older nonces still say which version the proxy runs.</summary>
    internal void RecordResponse(SnapshotAck ack, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (ack.Error is null)
            {
                AckedVersion = ack.Version;
                AckedAt = at;
                if (NackVersion == ack.Version) { NackVersion = null; NackError = null; }
                // A loop, not FirstOrDefault with a lambda: the lambda captures the ACK, a closure per response.
                foreach (var sent in _unanswered)
                {
                    if (sent.Version != ack.Version) continue;
                    _acked = sent;
                    break;
                }
                return;
            }
            NackVersion = ack.Version;
            NackError = ack.Error;
            if (ack.Resync)
            {
                // The proxy could not place a delta on what it runs: send the newest snapshot whole.
                _needsFull = true;
                _base = null;
                if (_offered is not null) _pending.Writer.TryWrite(_offered);
            }
            else if (_base?.Version == ack.Version)
            {
                // NACK keeps the last good snapshot on the proxy: the next delta starts from it.
                _base = _acked;
                _needsFull = _acked is null;
            }
        }
    }

    internal void MarkDisconnected(DateTimeOffset at)
    {
        lock (_gate) DisconnectedAt ??= at;
        Close();
    }

    internal void Close()
    {
        try { _closed.Cancel(); } catch (ObjectDisposedException) { }
    }
}

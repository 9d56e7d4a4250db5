namespace Meshwork.ControlPlane.Push;

/// <summary>
/// Admits new snapshot streams a few at a time, so that a connect storm (every proxy reconnecting
/// after a control-plane restart) is served at the rate the control plane can generate and write
/// first snapshots, rather than all of them at once, each slower than its proxy's patience. A
/// stream holds its place until its first line is written; one that waits too long is refused
/// with 503 and Retry-After, and its proxy keeps serving its last snapshot while it backs off.
/// </summary>
public sealed class ConnectAdmission(PushOptions options) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(options.ConcurrentFirstSnapshots, options.ConcurrentFirstSnapshots);

    /// <summary>A place among the streams being set up, or null when none freed up within <see cref="PushOptions.AdmissionWait"/>.</summary>
    public async Task<Lease?> AdmitAsync(CancellationToken cancellationToken)
        => await _slots.WaitAsync(options.AdmissionWait, cancellationToken).ConfigureAwait(false) ? new Lease(_slots) : null;

    public void Dispose() => _slots.Dispose();

    /// <summary>Released once, when the stream's first line is out (or the stream ended before).</summary>
    public sealed class Lease(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}

/// <summary>
/// Simulated proxies in this process. The benchmark's in-process mode runs them beside the control plane (one heap for
/// both, as before the worker processes); a worker runs its share of the proxies with one of these.
/// </summary>
internal sealed class InProcessFleet(IReadOnlyList<SimulatedProxy> proxies, int concurrentHandshakes) : IProxyFleet
{
    // Bounds on the waits: far above what a loaded two-core host takes, so that a stuck run fails instead of hanging.
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromMinutes(20);
    public static readonly TimeSpan RoundTimeout = TimeSpan.FromMinutes(5);

    /// <summary>TLS handshakes the proxies run at once while they first connect, over all processes.</summary>
    public const int ConnectHandshakes = 16;

    public int Count => proxies.Count;

    public async Task ConnectAsync()
    {
        // A few handshakes at a time: 1,000 TLS handshakes at once on a small, busy host outlast
        // Kestrel's handshake timeout, and the benchmark measures pushes, not a connection storm.
        using var handshakes = new SemaphoreSlim(concurrentHandshakes);
        await Task.WhenAll(proxies.Select(async p =>
        {
            await handshakes.WaitAsync();
            try { await p.ConnectAsync(); }
            finally { handshakes.Release(); }
        })).WaitAsync(ConnectTimeout);
    }

    public async Task<RoundOutcome> RoundAsync(Action change)
    {
        var armed = Arm();
        change();
        return await armed.Acked;
    }

    /// <summary>Notes each proxy's version and bytes read, and starts waiting for a newer ACK; the change is the caller's to make.</summary>
    public (Task<RoundOutcome> Acked, ProcessCost Before) Arm()
    {
        var bytesBefore = proxies.Select(p => p.BytesReceived).ToArray();
        var waits = proxies.Select(p => p.WaitForNewAckAsync(p.AckedVersion)).ToArray();
        return (Collect(waits, bytesBefore), ProcessCost.Now());
    }

    private async Task<RoundOutcome> Collect(Task<long>[] waits, long[] bytesBefore)
    {
        var acked = await Task.WhenAll(waits).WaitAsync(RoundTimeout);
        return new RoundOutcome(acked, [.. proxies.Select((p, i) => p.BytesReceived - bytesBefore[i])], Workers: null);
    }

    public async Task<RestartOutcome> ReconnectAsync(bool sendHeld)
    {
        foreach (var p in proxies) { p.Attempts.Clear(); p.SendHeld = sendHeld; }
        var acked = await Task.WhenAll(proxies.Select(p => p.ReconnectAsync())).WaitAsync(ConnectTimeout);
        return new RestartOutcome([.. proxies.Select((p, i) => new ProxyRestart([.. p.Attempts], p.FirstLineAt, acked[i], p.LastStreamBytes))], Workers: null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var p in proxies) await p.DisposeAsync();
    }
}

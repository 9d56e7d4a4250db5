namespace Meshwork.Proxy.Hosting;

/// <summary>
/// One full, compacting collection that gives free memory back to the system once the proxy is first ready:
/// what start-up left behind (the first snapshot's text and its parse, the certificate request, the listeners'
/// set-up) would otherwise stay resident for the sidecar's whole life, since a sidecar's steady state allocates
/// too little to trigger a full collection soon. A sidecar runs beside every workload, so its idle size is the
/// mesh's idle size. In a proxy that is its own process, the read-only file pages start-up touched go too (<see cref="CleanPagesTrim"/>).
/// </summary>
internal static class StartupMemoryTrim
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    /// <summary>A proxy not ready by then is left alone: the collection is an optimisation, not a step of start-up.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);
    /// <summary>After readiness, the rest of the first push (secrets, a second snapshot) is usually in within this.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);

    public static async Task RunAsync(ProxyState state, bool needsCertificate, bool releaseFilePages, Microsoft.Extensions.Logging.ILogger logger, CancellationToken stopping)
    {
        var waited = TimeSpan.Zero;
        while (state.NotReadyReason(needsCertificate) is not null)
        {
            if (waited >= GiveUpAfter) return;
            await Task.Delay(Poll, state.Time, stopping).ConfigureAwait(false);
            waited += Poll;
        }
        await Task.Delay(Settle, state.Time, stopping).ConfigureAwait(false);
        // Aggressive: compacts every generation and decommits the free space instead of keeping it for later allocations.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        // Only a proxy that is its own process releases file pages: one hosted in another process leaves them to it.
        if (!releaseFilePages) return;
        var pages = CleanPagesTrim.Run();
        ProxyLog.StartupMemoryReleased(logger, pages / 1024, GC.GetGCMemoryInfo().HeapSizeBytes / 1024);
    }
}

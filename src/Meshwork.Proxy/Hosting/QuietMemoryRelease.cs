using System.Globalization;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// Gives free memory back to the system when the proxy is quiet: once as soon as it is first ready, then whenever
/// <see cref="MemoryReleasePolicy"/> says so (quiet after traffic, and grown since the last pass). A pass is one full,
/// compacting collection (what start-up or a burst of traffic left behind would otherwise stay resident, since a
/// quiet sidecar allocates too little to trigger a full collection soon, and the collector keeps its free regions
/// for allocations to come); in a proxy that is its own process, also the read-only file pages it touched
/// (<see cref="CleanPagesTrim"/>) and the C heap's free pages (<see cref="NativeHeapTrim"/>).
/// </summary>
/// <remarks>A proxy hosted in another process collects once, at readiness: the resident set is not its own to watch.</remarks>
internal static class QuietMemoryRelease
{
    /// <summary>How soon readiness is noticed: a check is two field reads.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    /// <summary>A proxy not ready by then is left alone: the collection is an optimisation, not a step of start-up.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);

    public static async Task RunAsync(ProxyState state, bool needsCertificate, bool releaseFilePages, Microsoft.Extensions.Logging.ILogger logger, CancellationToken stopping)
    {
        var waited = TimeSpan.Zero;
        while (state.NotReadyReason(needsCertificate) is not null)
        {
            if (waited >= GiveUpAfter) return;
            await Task.Delay(Poll, state.Time, stopping).ConfigureAwait(false);
            waited += Poll;
        }
        var ready = state.Time.GetTimestamp();
        Release(releaseFilePages, logger);
        if (!releaseFilePages) return;
        var policy = new MemoryReleasePolicy();
        policy.Released(TimeSpan.Zero, Allocated(), ResidentBytes());
        while (true)
        {
            await Task.Delay(MemoryReleasePolicy.NextCheck(state.Time.GetElapsedTime(ready)), state.Time, stopping).ConfigureAwait(false);
            if (!policy.ShouldRelease(state.Time.GetElapsedTime(ready), Allocated(), ResidentBytes)) continue;
            Release(releaseFilePages, logger);
            policy.Released(state.Time.GetElapsedTime(ready), Allocated(), ResidentBytes());
        }
    }

    /// <summary>Bytes this process has allocated on the managed heap so far: the proxy's traffic shows in it without a counter on the request path.</summary>
    private static long Allocated() => GC.GetTotalAllocatedBytes(precise: false);

    private static void Release(bool releaseFilePages, Microsoft.Extensions.Logging.ILogger logger)
    {
        var before = ResidentBytes();
        // Aggressive: compacts every generation and decommits the free space instead of keeping it for later allocations.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        // Only a proxy that is its own process releases file pages and the C heap: one hosted in another process leaves them to it.
        if (!releaseFilePages) return;
        var pages = CleanPagesTrim.Run();
        NativeHeapTrim.Run();
        ProxyLog.QuietMemoryReleased(logger, pages / 1024, GC.GetGCMemoryInfo().HeapSizeBytes / 1024, before / 1024, ResidentBytes() / 1024);
    }

    /// <summary>
    /// The process's resident set from /proc/self/statm (proc(5): its second field, in pages), falling back to the GC's
    /// committed bytes where /proc is missing: either way, what grew since the last pass.
    /// </summary>
    private static long ResidentBytes()
    {
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ');
            if (fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
                return pages * Environment.SystemPageSize;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return GC.GetGCMemoryInfo().TotalCommittedBytes;
    }
}

using System.Globalization;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// One full, compacting collection that gives free memory back to the system once the proxy is first ready:
/// what start-up left behind (the first snapshot's text and its parse, the certificate request, the listeners'
/// set-up) would otherwise stay resident for the sidecar's whole life, since a sidecar's steady state allocates
/// too little to trigger a full collection soon. A sidecar runs beside every workload, so its idle size is the
/// mesh's idle size. In a proxy that is its own process, the read-only file pages start-up touched go too (<see cref="CleanPagesTrim"/>),
/// and the C heap's free pages (<see cref="NativeHeapTrim"/>).
/// </summary>
/// <remarks>
/// It runs as soon as the proxy is ready, not a while after: an idle sidecar is measured, and lives, from then on.
/// The rest of the first push (secrets, a second snapshot) and the first connections (their handshakes run code the
/// steady state does not) follow within seconds and bring start-up code and garbage back; so for
/// <see cref="StartUpChecks"/> seconds after readiness, a further pass releases them whenever the resident set grew by
/// <see cref="RegrowthWorthAnotherPass"/> since the last one.
/// </remarks>
internal static class StartupMemoryTrim
{
    /// <summary>How soon readiness is noticed: a check is two field reads.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    /// <summary>A proxy not ready by then is left alone: the collection is an optimisation, not a step of start-up.</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(2);
    /// <summary>How often the resident set is looked at after readiness, and how many times.</summary>
    private static readonly TimeSpan Check = TimeSpan.FromSeconds(1);
    private const int StartUpChecks = 5;
    private const long RegrowthWorthAnotherPass = 1024 * 1024;

    public static async Task RunAsync(ProxyState state, bool needsCertificate, bool releaseFilePages, Microsoft.Extensions.Logging.ILogger logger, CancellationToken stopping)
    {
        var waited = TimeSpan.Zero;
        while (state.NotReadyReason(needsCertificate) is not null)
        {
            if (waited >= GiveUpAfter) return;
            await Task.Delay(Poll, state.Time, stopping).ConfigureAwait(false);
            waited += Poll;
        }
        Release(releaseFilePages, logger);
        // The resident set is the proxy's own only when the process is: a proxy hosted in another process collects once.
        if (!releaseFilePages) return;
        var afterLast = ResidentBytes();
        for (var check = 0; check < StartUpChecks; check++)
        {
            await Task.Delay(Check, state.Time, stopping).ConfigureAwait(false);
            if (ResidentBytes() - afterLast < RegrowthWorthAnotherPass) continue;
            Release(releaseFilePages, logger);
            afterLast = ResidentBytes();
        }
    }

    private static void Release(bool releaseFilePages, Microsoft.Extensions.Logging.ILogger logger)
    {
        var before = ResidentBytes();
        // Aggressive: compacts every generation and decommits the free space instead of keeping it for later allocations.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        // Only a proxy that is its own process releases file pages and the C heap: one hosted in another process leaves them to it.
        if (!releaseFilePages) return;
        var pages = CleanPagesTrim.Run();
        NativeHeapTrim.Run();
        ProxyLog.StartupMemoryReleased(logger, pages / 1024, GC.GetGCMemoryInfo().HeapSizeBytes / 1024, before / 1024, ResidentBytes() / 1024);
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

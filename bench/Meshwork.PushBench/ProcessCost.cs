using System.Diagnostics;

/// <summary>
/// This process's counters at one moment (CPU time, bytes allocated, the collector's total pause and full collections):
/// two readings give what an interval cost, figures the load of other processes does not inflate (except the pauses).
/// </summary>
internal readonly record struct ProcessCost(TimeSpan Cpu, long Allocated, TimeSpan GcPause, int FullCollections)
{
    public static ProcessCost Now() => new(Process.GetCurrentProcess().TotalProcessorTime, GC.GetTotalAllocatedBytes(precise: false),
        GC.GetTotalPauseDuration(), GC.CollectionCount(2));

    /// <summary>What this process spent since <paramref name="before"/>.</summary>
    public static FleetCost Since(ProcessCost before)
    {
        var now = Now();
        var pause = (now.GcPause - before.GcPause).TotalMilliseconds;
        return new FleetCost((now.Cpu - before.Cpu).TotalMilliseconds, now.Allocated - before.Allocated, pause, pause, now.FullCollections - before.FullCollections);
    }
}

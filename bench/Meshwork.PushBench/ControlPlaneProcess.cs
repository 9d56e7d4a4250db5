using System.Runtime;

/// <summary>What the control plane's process runs with and holds: its garbage collector's settings, and its memory.</summary>
internal static class ControlPlaneProcess
{
    /// <summary>
    /// The collector's mode as the runtime runs it (Batch is the latency mode of a non-concurrent collector) and the gen0 budget asked for. The runtime reads the budget only from DOTNET_GCgen0size
    /// (not from runtimeconfig.json: checked with GC.CollectionCount), so the environment is where it shows.
    /// </summary>
    public static string GcSettings() =>
        $"{(GCSettings.IsServerGC ? "server" : "workstation")}, {(GCSettings.LatencyMode == GCLatencyMode.Batch ? "non-concurrent" : "concurrent")}, "
        + $"gen0 budget {Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? "the runtime's default"}";

    /// <summary>Resident set now and at its peak (the kernel's VmRSS and VmHWM), and the managed heap's size after the last collection.</summary>
    public static string Memory()
    {
        var status = File.Exists("/proc/self/status") ? File.ReadAllLines("/proc/self/status") : [];
        string Field(string name) => status.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal)) is { } line
            ? $"{long.Parse(line[(name.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024} MiB"
            : "unknown";
        return $"RSS {Field("VmRSS")} (peak {Field("VmHWM")}), managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / (1024 * 1024)} MiB, "
            + $"{GC.CollectionCount(0)} / {GC.CollectionCount(1)} / {GC.CollectionCount(2)} collections of gen0 / gen1 / gen2 so far";
    }
}

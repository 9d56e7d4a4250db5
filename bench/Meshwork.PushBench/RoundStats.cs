/// <summary>Per-proxy ACK latencies, the slowest proxy per round, and bytes sent per proxy per change.</summary>
internal sealed class RoundStats
{
    public List<double> Latencies { get; } = [];
    public List<double> AllAcked { get; } = [];
    public List<double> Bytes { get; } = [];
    /// <summary>Where the time goes, per round (ms from the change): the push started (debounce over), every snapshot generated and queued,
    /// and per proxy: its line handed to its stream, its ACK recorded by the server.</summary>
    public List<double> PushStarted { get; } = [];
    public List<double> PushDone { get; } = [];
    public List<double> Written { get; } = [];
    public List<double> Recorded { get; } = [];
    /// <summary>Per round, from the change to the last ACK: what the control plane's process spent (with the simulated proxies
    /// in it when they run in-process: a pause then stops both, for every proxy at once), and what the workers spent (null in-process).</summary>
    public List<(double P99, FleetCost ControlPlane, FleetCost? Workers)> Rounds { get; } = [];

    public void Add(List<double> perProxy, long[] bytes, FleetCost controlPlane, FleetCost? workers)
    {
        Latencies.AddRange(perProxy);
        AllAcked.Add(perProxy.Max());
        Bytes.AddRange(bytes.Select(b => (double)b));
        Rounds.Add((Percentile(perProxy, 0.99), controlPlane, workers));
    }

    /// <summary>Prints the figures, each line starting with <paramref name="prefix"/> (bench/scaling.sh reads the unprefixed ones).</summary>
    public void Print(string prefix, int proxies)
    {
        Console.WriteLine($"{prefix}apply -> ACK per proxy:   median {Percentile(Latencies, 0.5):F1} ms, p90 {Percentile(Latencies, 0.9):F1} ms, p99 {Percentile(Latencies, 0.99):F1} ms, max {Latencies.Max():F1} ms");
        Console.WriteLine($"{prefix}apply -> all {proxies} ACKed: median {Percentile(AllAcked, 0.5):F1} ms");
        Console.WriteLine($"{prefix}bytes sent per proxy:     median {Percentile(Bytes, 0.5):F0}, max {Bytes.Max():F0}");
        Console.WriteLine($"{prefix}where the time goes (medians over rounds; per proxy p50/p99): push started {Percentile(PushStarted, 0.5):F0} ms, "
            + $"all generated and queued {Percentile(PushDone, 0.5):F0} ms, line written {Percentile(Written, 0.5):F0}/{Percentile(Written, 0.99):F0} ms, "
            + $"ACK recorded by the server {Percentile(Recorded, 0.5):F0}/{Percentile(Recorded, 0.99):F0} ms, ACK seen by the proxy {Percentile(Latencies, 0.5):F0}/{Percentile(Latencies, 0.99):F0} ms");
        double Median(Func<(double P99, FleetCost ControlPlane, FleetCost? Workers), double> figure) => Percentile([.. Rounds.Select(figure)], 0.5);
        var controlPlaneCpu = Median(r => r.ControlPlane.CpuMilliseconds);
        var inProcess = Rounds.Any(r => r.Workers is null);
        Console.WriteLine($"{prefix}{(inProcess ? "process (control plane and simulated proxies)" : "control plane process")} CPU per change (median over rounds): {controlPlaneCpu:F0} ms, "
            + $"{controlPlaneCpu * 1000 / proxies:F0} µs per proxy; allocated {Median(r => r.ControlPlane.AllocatedBytes) / proxies:F0} bytes per proxy"
            + (inProcess ? "" : $"; simulated proxies' processes: {Median(r => r.Workers!.CpuMilliseconds) * 1000 / proxies:F0} µs CPU and {Median(r => r.Workers!.AllocatedBytes) / proxies:F0} bytes allocated per proxy"));
        Console.WriteLine($"{prefix}per round: " + string.Join("; ", Rounds.Select(r => $"p99 {r.P99:F0} ms, GC paused {(inProcess ? "" : "the control plane ")}{r.ControlPlane.MaxGcPauseMilliseconds:F0} ms, "
            + $"{r.ControlPlane.FullCollections} full collections" + (r.Workers is { } w ? $", workers up to {w.MaxGcPauseMilliseconds:F0} ms each" : ""))));
    }

    public double P99 => Percentile(Latencies, 0.99);
    public double MedianBytes => Percentile(Bytes, 0.5);

    public static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }
}

using System.Text.Json.Serialization;

/// <summary>
/// The simulated proxies, wherever they run: in the control plane's process (<see cref="InProcessFleet"/>) or in
/// worker processes of their own (<see cref="WorkerFleet"/>), as sidecars are. Timestamps are Stopwatch timestamps,
/// CLOCK_MONOTONIC on Linux and so comparable between the processes of one host.
/// </summary>
internal interface IProxyFleet : IAsyncDisposable
{
    int Count { get; }

    /// <summary>Opens every proxy's stream and waits until each has ACKed its first snapshot.</summary>
    Task ConnectAsync();

    /// <summary>Notes the version each proxy runs, calls <paramref name="change"/>, and waits until every proxy ACKed a newer one.</summary>
    Task<RoundOutcome> RoundAsync(Action change);

    /// <summary>After the control plane restarted: every proxy reconnects (<see cref="SimulatedProxy.ReconnectAsync"/>) and ACKs what it is sent.</summary>
    Task<RestartOutcome> ReconnectAsync(bool sendHeld);
}

/// <summary>
/// One round, per proxy in fleet order: when it ACKed and the bytes it read for the change; and the proxies' own
/// processes' cost from before the change to the last ACK (null when they share the control plane's process).
/// </summary>
internal sealed record RoundOutcome(long[] AckedAt, long[] Bytes, FleetCost? Workers);

/// <summary>The restart, per proxy in fleet order, and the proxies' own processes' cost (null when in-process).</summary>
internal sealed record RestartOutcome(ProxyRestart[] Proxies, FleetCost? Workers);

/// <summary>One proxy's reconnect: every attempt, its first line, its ACK of what it was sent, and the bytes its new stream carried.</summary>
internal sealed record ProxyRestart(Attempt[] Attempts, long FirstLineAt, long AckedAt, long LastStreamBytes);

/// <summary>
/// What the worker processes spent over an interval: CPU (user + system, summed over workers), bytes allocated (summed),
/// and the garbage collector's pauses: the longest any one worker paused in total (its proxies all waited for it) and the sum.
/// </summary>
internal sealed record FleetCost(double CpuMilliseconds, long AllocatedBytes, double MaxGcPauseMilliseconds, double SumGcPauseMilliseconds, int FullCollections)
{
    public static FleetCost Sum(IEnumerable<FleetCost> costs)
    {
        var all = costs.ToList();
        return new FleetCost(all.Sum(c => c.CpuMilliseconds), all.Sum(c => c.AllocatedBytes), all.Max(c => c.MaxGcPauseMilliseconds),
            all.Sum(c => c.SumGcPauseMilliseconds), all.Sum(c => c.FullCollections));
    }
}

/// <summary>The worker protocol's payloads (one JSON document per line on a worker's standard output).</summary>
[JsonSerializable(typeof(RoundOutcome))]
[JsonSerializable(typeof(RestartOutcome))]
internal sealed partial class WorkerJson : JsonSerializerContext;

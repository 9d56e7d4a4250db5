namespace Meshwork.Proxy.Hosting;

/// <summary>
/// When a proxy that is its own process gives memory back (<see cref="QuietMemoryRelease"/>): once it is quiet after
/// traffic (a check saw traffic since the last pass, and the latest saw almost nothing allocated) and its resident set
/// has grown by <see cref="RegrowthWorthAPass"/> since the last pass. Traffic leaves the garbage collector's free regions, the C
/// heap's free pages and the code it ran resident; a sidecar spends most of its life idle between bursts, and its
/// idle size, times one sidecar per workload, is the mesh's.
/// </summary>
/// <remarks>
/// Bounded, so that sparse traffic does not fault the same pages back in over and over: passes are at least
/// <see cref="SteadyGap"/> apart, so at most two a minute, each a compacting collection of a heap of a few MiB and the
/// page faults of what the next requests touch again. Only in the first <see cref="StartUpWindow"/> after readiness
/// are they <see cref="StartUpGap"/> apart, checked every <see cref="StartUpCheck"/>: the rest of the first push and the
/// first connections run code the steady state never runs again, and an idle sidecar is measured, and lives, from then on.
/// After that window, a proxy that saw no traffic is left alone even as it regrows: its own background work (the
/// control-plane stream, timers) faults a few MiB of code back within seconds of every pass, so passes would only
/// repeat that, twice a minute, for ever.
/// </remarks>
internal sealed class MemoryReleasePolicy
{
    /// <summary>Allocated since the last check at most, for the proxy to count as quiet: a relayed request allocates
    /// hundreds of bytes, so this is well under a hundred requests a second.</summary>
    public const long QuietBytes = 64 * 1024;
    public const long RegrowthWorthAPass = 1024 * 1024;
    public static readonly TimeSpan StartUpWindow = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan StartUpGap = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan SteadyGap = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StartUpCheck = TimeSpan.FromMilliseconds(250);
    /// <summary>Once a second: a check is two counter reads while traffic flows, and a wake-up of an idle proxy.</summary>
    public static readonly TimeSpan SteadyCheck = TimeSpan.FromSeconds(1);

    /// <summary>How long until the next check.</summary>
    public static TimeSpan NextCheck(TimeSpan sinceReady) => sinceReady < StartUpWindow ? StartUpCheck : SteadyCheck;

    private long _allocatedAtLastCheck;
    private long _residentAfterLastPass;
    private TimeSpan _lastPass;
    private bool _trafficSinceLastPass;

    /// <summary>Records a pass (the first one at readiness, <paramref name="sinceReady"/> zero) and what it left resident.</summary>
    public void Released(TimeSpan sinceReady, long allocated, long resident)
    {
        _lastPass = sinceReady;
        _allocatedAtLastCheck = allocated;
        _residentAfterLastPass = resident;
        _trafficSinceLastPass = false;
    }

    /// <summary>
    /// One check: true when a pass is due. <paramref name="resident"/> is read only when the proxy is quiet and the
    /// gap since the last pass is over, so a busy proxy pays two counter reads per check.
    /// </summary>
    public bool ShouldRelease(TimeSpan sinceReady, long allocated, Func<long> resident)
    {
        var quiet = allocated - _allocatedAtLastCheck < QuietBytes;
        _allocatedAtLastCheck = allocated;
        if (!quiet)
        {
            _trafficSinceLastPass = true;
            return false;
        }
        var startingUp = sinceReady < StartUpWindow;
        if (!startingUp && !_trafficSinceLastPass) return false;
        if (sinceReady - _lastPass < (startingUp ? StartUpGap : SteadyGap)) return false;
        return resident() - _residentAfterLastPass >= RegrowthWorthAPass;
    }
}

using Meshwork.Proxy.Hosting;

namespace Meshwork.Proxy.Tests.Hosting;

public sealed class MemoryReleasePolicyTests
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan Steady = MemoryReleasePolicy.StartUpWindow + TimeSpan.FromMinutes(1);

    [Fact]
    public void Releases_once_traffic_stops_and_the_resident_set_grew()
    {
        var policy = new MemoryReleasePolicy();
        policy.Released(Steady, allocated: 0, resident: 20 * MiB);
        var at = Steady + MemoryReleasePolicy.SteadyGap;

        // Traffic: megabytes allocated per check, the resident set grows; nothing is released while it flows.
        Assert.False(policy.ShouldRelease(at, 50 * MiB, () => 45 * MiB));
        Assert.False(policy.ShouldRelease(at + TimeSpan.FromSeconds(1), 100 * MiB, () => 48 * MiB));
        // Quiet: the next check releases.
        Assert.True(policy.ShouldRelease(at + TimeSpan.FromSeconds(2), 100 * MiB, () => 48 * MiB));
    }

    [Fact]
    public void A_quiet_proxy_that_did_not_grow_is_left_alone()
    {
        var policy = new MemoryReleasePolicy();
        policy.Released(Steady, allocated: 0, resident: 20 * MiB);
        var resident = 20 * MiB + MemoryReleasePolicy.RegrowthWorthAPass - 1;
        Assert.False(policy.ShouldRelease(Steady + TimeSpan.FromHours(1), 1024, () => resident));
    }

    [Fact]
    public void An_idle_proxy_whose_own_background_work_regrows_it_is_released_no_more()
    {
        // No traffic, but the control-plane stream and the timers fault code back in after every pass.
        var policy = new MemoryReleasePolicy();
        policy.Released(Steady, allocated: 0, resident: 12 * MiB);
        for (var second = 1; second <= 600; second++)
            Assert.False(policy.ShouldRelease(Steady + TimeSpan.FromSeconds(second), second * 1024L, () => 17 * MiB));
    }

    [Fact]
    public void Sparse_traffic_gets_at_most_one_pass_per_steady_gap()
    {
        // A new connection now and then: every check after one is quiet, and every connection brings its pages back.
        var policy = new MemoryReleasePolicy();
        policy.Released(Steady, allocated: 0, resident: 20 * MiB);
        var passes = 0;
        long allocated = 0;
        var checks = (int)(TimeSpan.FromMinutes(10) / MemoryReleasePolicy.SteadyCheck);
        for (var second = 1; second <= checks; second++)
        {
            var now = Steady + second * MemoryReleasePolicy.SteadyCheck;
            if (second % 3 == 0) allocated += MemoryReleasePolicy.QuietBytes * 2;
            if (!policy.ShouldRelease(now, allocated, () => 30 * MiB)) continue;
            passes++;
            policy.Released(now, allocated, 20 * MiB);
        }
        // Released again and again (the traffic keeps coming back), but never sooner than the steady gap allows.
        Assert.InRange(passes, 2, (int)(TimeSpan.FromMinutes(10) / MemoryReleasePolicy.SteadyGap));
    }

    [Fact]
    public void Right_after_readiness_the_first_connections_are_released_within_seconds()
    {
        // The first handshakes and the rest of the first push run code and allocate memory the steady state never
        // needs again: an idle sidecar should not keep them until the steady gap is over.
        var policy = new MemoryReleasePolicy();
        policy.Released(TimeSpan.Zero, allocated: 0, resident: 12 * MiB);
        var check = MemoryReleasePolicy.NextCheck(TimeSpan.Zero);
        Assert.False(policy.ShouldRelease(check, 4 * MiB, () => 20 * MiB));
        var quietAt = MemoryReleasePolicy.StartUpGap;
        Assert.True(quietAt < TimeSpan.FromSeconds(2), "an idle sidecar keeps its first connections' memory for seconds");
        Assert.True(policy.ShouldRelease(quietAt, 4 * MiB, () => 20 * MiB));
    }

    [Fact]
    public void A_busy_proxy_does_not_read_its_resident_set()
    {
        var policy = new MemoryReleasePolicy();
        policy.Released(Steady, allocated: 0, resident: 20 * MiB);
        Assert.False(policy.ShouldRelease(Steady + TimeSpan.FromMinutes(5), 10 * MiB,
            () => throw new InvalidOperationException("the resident set was read while traffic flowed")));
    }
}

using Meshwork.Proxy.ControlPlaneClient;

namespace Meshwork.Proxy.Tests.ControlPlaneClient;

public sealed class ReconnectJitterTests
{
    [Fact]
    public void Reconnect_waits_are_spread_between_half_the_backoff_and_all_of_it()
    {
        var random = new Random(18);
        var waits = Enumerable.Range(0, 200).Select(_ => ReconnectJitter.Spread(TimeSpan.FromSeconds(4), random)).ToList();

        Assert.All(waits, w => Assert.InRange(w, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)));
        // Proxies that lost their stream together come back over the whole window, not in one instant.
        Assert.True(waits.Max() - waits.Min() > TimeSpan.FromSeconds(1.5), $"{waits.Min()} .. {waits.Max()}");
    }
}

using Meshwork.ControlPlane.Ca;
using Meshwork.ControlPlane.Tests.Push;

namespace Meshwork.ControlPlane.Tests.Ca;

public sealed class TokenBucketLimiterTests
{
    [Fact]
    public void Allows_a_burst_then_refuses_until_a_token_refills()
    {
        var time = new ManualTimeProvider();
        var limiter = new TokenBucketLimiter(burst: 3, refillInterval: TimeSpan.FromSeconds(10), time);

        Assert.True(limiter.TryAcquire("a"));
        Assert.True(limiter.TryAcquire("a"));
        Assert.True(limiter.TryAcquire("a"));
        Assert.False(limiter.TryAcquire("a"));

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryAcquire("a"));
        Assert.False(limiter.TryAcquire("a"));
    }

    [Fact]
    public void Each_identity_has_its_own_bucket()
    {
        var limiter = new TokenBucketLimiter(burst: 1, refillInterval: TimeSpan.FromHours(1), new ManualTimeProvider());

        Assert.True(limiter.TryAcquire("spiffe://cluster.local/ns/foo/sa/a"));
        Assert.False(limiter.TryAcquire("spiffe://cluster.local/ns/foo/sa/a"));
        Assert.True(limiter.TryAcquire("spiffe://cluster.local/ns/foo/sa/b"));
    }

    [Fact]
    public void A_long_idle_period_refills_no_more_than_the_burst()
    {
        var time = new ManualTimeProvider();
        var limiter = new TokenBucketLimiter(burst: 2, refillInterval: TimeSpan.FromSeconds(1), time);
        Assert.True(limiter.TryAcquire("a"));

        time.Advance(TimeSpan.FromHours(1));

        Assert.True(limiter.TryAcquire("a"));
        Assert.True(limiter.TryAcquire("a"));
        Assert.False(limiter.TryAcquire("a"));
    }
}

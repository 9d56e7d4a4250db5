using Meshwork.Testing;

namespace Meshwork.Identity.Tests;

public sealed class FakeTimeProviderTests
{
    [Fact]
    public void Timers_fire_in_due_order_at_their_due_time_and_not_before()
    {
        var clock = new FakeTimeProvider();
        var start = clock.GetUtcNow();
        var fired = new List<(string, TimeSpan)>();
        using var late = clock.CreateTimer(_ => fired.Add(("late", clock.GetUtcNow() - start)), null, TimeSpan.FromSeconds(10), Timeout.InfiniteTimeSpan);
        using var early = clock.CreateTimer(_ => fired.Add(("early", clock.GetUtcNow() - start)), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromSeconds(2.999));
        Assert.Empty(fired);
        clock.Advance(TimeSpan.FromSeconds(60));

        Assert.Equal([("early", TimeSpan.FromSeconds(3)), ("late", TimeSpan.FromSeconds(10))], fired);
        Assert.Equal(start.AddSeconds(62.999), clock.GetUtcNow());
    }

    [Fact]
    public void Periodic_timers_fire_once_per_period_and_disposed_ones_never()
    {
        var clock = new FakeTimeProvider();
        var ticks = 0;
        var never = 0;
        using var periodic = clock.CreateTimer(_ => ticks++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        clock.CreateTimer(_ => never++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan).Dispose();

        clock.Advance(TimeSpan.FromSeconds(5.5));

        Assert.Equal(5, ticks);
        Assert.Equal(0, never);
    }

    [Fact]
    public async Task Task_delay_on_the_fake_clock_completes_only_when_advanced()
    {
        var clock = new FakeTimeProvider();
        var delay = Task.Delay(TimeSpan.FromMinutes(5), clock);
        Assert.False(delay.IsCompleted);

        clock.Advance(TimeSpan.FromMinutes(5));

        await delay.WaitAsync(TimeSpan.FromSeconds(10));
    }
}

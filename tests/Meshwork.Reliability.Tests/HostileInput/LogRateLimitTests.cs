using Meshwork.Proxy.Inbound.Protection;
using Meshwork.Testing;

namespace Meshwork.Reliability.Tests.HostileInput;

/// <summary>Ten thousand refusals read as a few lines, the next of which says how many were not logged.</summary>
public sealed class LogRateLimitTests
{
    [Fact]
    public void Five_lines_per_window_then_the_first_line_of_the_next_window_counts_the_rest()
    {
        var time = new FakeTimeProvider();
        var limit = new LogRateLimit(time, linesPerWindow: 5, window: TimeSpan.FromSeconds(10));
        var logged = 0;
        for (var i = 0; i < 10_000; i++)
            if (limit.TryAcquire("handshake_failed", out _)) logged++;
        Assert.Equal(5, logged);

        // Another reason has its own lines.
        Assert.True(limit.TryAcquire("pending_limit", out var none));
        Assert.Equal(0, none);

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limit.TryAcquire("handshake_failed", out var suppressed));
        Assert.Equal(9_995, suppressed);
        Assert.True(limit.TryAcquire("handshake_failed", out var after));
        Assert.Equal(0, after);
    }
}

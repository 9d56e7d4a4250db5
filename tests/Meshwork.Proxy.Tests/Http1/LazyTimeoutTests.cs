using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// The per-phase clock behind the idle timeout and the request-head timeout: a phase left running is cancelled,
/// one that ran out hands the next phase a fresh token and is timed again, and the connection stopping cancels
/// without counting as a timeout. (That a busy connection outlives the timeout is in the idle-timeout tests.)
/// </summary>
public sealed class LazyTimeoutTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_phase_left_running_runs_out_and_the_next_phase_is_timed_again_with_a_fresh_token()
    {
        using var clock = new LazyTimeout(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        clock.Start();
        await CancelledAsync(clock.Token);
        Assert.True(clock.Expired);

        clock.Stop();
        Assert.False(clock.Expired);
        Assert.False(clock.Token.IsCancellationRequested);

        clock.Start();
        await CancelledAsync(clock.Token);
        Assert.True(clock.Expired);
    }

    [Fact]
    public void The_connection_stopping_cancels_the_phase_without_it_counting_as_a_timeout()
    {
        using var stopping = new CancellationTokenSource();
        using var clock = new LazyTimeout(TimeSpan.FromHours(1), stopping.Token);
        clock.Start();
        stopping.Cancel();
        Assert.True(clock.Token.IsCancellationRequested);
        Assert.False(clock.Expired);
    }

    private static async Task CancelledAsync(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registration = token.Register(() => cancelled.TrySetResult());
        await cancelled.Task.WaitAsync(Patience);
    }
}

using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Tests.Support;
using Meshwork.Testing;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Hosting;

public sealed class BackgroundSupervisorTests
{
    [Fact]
    public async Task A_loop_that_fails_is_logged_and_started_again_after_a_pause()
    {
        var time = new FakeTimeProvider();
        var logger = new RecordingLogger();
        using var stop = new CancellationTokenSource();
        var starts = 0;
        var secondStart = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var supervised = BackgroundSupervisor.RunAsync("the control-plane client", async ct =>
        {
            if (Interlocked.Increment(ref starts) == 1) throw new InsufficientExecutionStackException("out of room");
            secondStart.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        }, logger, time, stop.Token);

        Assert.True(await Eventually.TrueAsync(() => time.PendingTimers == 1), "the supervisor pauses after the failure");
        Assert.Equal(1, starts);
        var failure = Assert.Single(logger.Entries.ToList());
        Assert.Equal(LogLevel.Error, failure.Level);
        Assert.Contains("the control-plane client failed", failure.Message);

        time.Advance(TimeSpan.FromSeconds(1));
        await secondStart.Task.WaitAsync(TimeSpan.FromSeconds(15));

        await stop.CancelAsync();
        await supervised.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(2, starts);
    }

    [Fact]
    public async Task A_loop_that_ends_normally_is_not_restarted()
    {
        var starts = 0;
        await BackgroundSupervisor.RunAsync("the snapshot file watcher", _ => { starts++; return Task.CompletedTask; },
            new RecordingLogger(), new FakeTimeProvider(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, starts);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}

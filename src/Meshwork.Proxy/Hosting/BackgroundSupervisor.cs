using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// Keeps a background loop of the proxy alive (the control-plane client, the file watcher): a loop that
/// ends with an unexpected exception is logged and started again after a pause, instead of leaving a
/// sidecar that serves its last snapshot forever without saying so.
/// </summary>
internal static partial class BackgroundSupervisor
{
    public static async Task RunAsync(string name, Func<CancellationToken, Task> loop, ILogger logger, TimeProvider time, CancellationToken stopping)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await loop(stopping).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                LoopFailed(logger, name, pause, e);
            }
            try { await Task.Delay(pause, time, stopping).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    [LoggerMessage(308, LogLevel.Error, "{Name} failed; restarting it in {Pause}")]
    private static partial void LoopFailed(ILogger logger, string name, TimeSpan pause, Exception error);
}

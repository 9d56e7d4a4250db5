using System.Collections.Concurrent;
using System.Net;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// Requests at a steady, bounded rate (one at a time, a pause between them) until stopped; every
/// request counted and every failure kept with its reason.
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly Task _running;
    private long _succeeded;

    public SteadyLoad(string url, TimeSpan pause) => _running = RunAsync(url, pause);

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public IReadOnlyCollection<string> Failures => _failures;

    private async Task RunAsync(string url, TimeSpan pause)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync(url, _stop.Token);
                if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref _succeeded);
                else _failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} HTTP {(int)response.StatusCode}");
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                _failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {e.GetType().Name}: {e.Message}");
            }
            try { await Task.Delay(pause, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Stops sending and waits for the request in flight.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _running;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Net;

namespace Meshwork.Reliability.Tests.FaultsUnderLoad;

/// <summary>
/// A steady, bounded load of GETs through a client sidecar (its outbound proxy, or its capture from inside the pod): a few workers, each sending one
/// request at a time with a short pause, every outcome counted and every failure kept with its reason.
/// </summary>
public sealed class SteadyLoad
{
    private readonly ConcurrentDictionary<string, int> _failures = new(StringComparer.Ordinal);
    private long _sent, _ok;

    public long Sent => Interlocked.Read(ref _sent);
    public long Succeeded => Interlocked.Read(ref _ok);
    public long Failed => Sent - Succeeded;
    public IReadOnlyDictionary<string, int> Failures => _failures;

    public string Summary => $"{Sent} sent, {Failed} failed" + (_failures.IsEmpty ? "" : ": " + string.Join("; ", _failures.Select(f => $"{f.Value}× {f.Key}")));

    public Task RunAsync(Uri outboundProxy, Uri target, int workers, TimeSpan pause, CancellationToken stop) =>
        RunAsync(new SocketsHttpHandler { Proxy = new WebProxy(outboundProxy), UseProxy = true }, target, workers, pause, stop);

    /// <summary>As above, through <paramref name="handler"/> (disposed at the end): a client that reaches the sidecar its own way.</summary>
    public async Task RunAsync(HttpMessageHandler handler, Uri target, int workers, TimeSpan pause, CancellationToken stop)
    {
        using var http = new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => WorkAsync(http, target, pause, stop)));
    }

    private async Task WorkAsync(HttpClient http, Uri target, TimeSpan pause, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Interlocked.Increment(ref _sent);
            try
            {
                using var response = await http.GetAsync(target, CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref _ok);
                else Fail($"HTTP {(int)response.StatusCode}: {body[..Math.Min(body.Length, 160)].Trim()}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Fail($"{e.GetType().Name}: {e.Message}");
            }
            try { await Task.Delay(pause, stop); } catch (OperationCanceledException) { }
        }
    }

    private void Fail(string reason) => _failures.AddOrUpdate(reason, 1, (_, n) => n + 1);
}

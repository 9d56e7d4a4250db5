using System.Collections.Immutable;
using Meshwork.ControlPlane.Registry;
using Microsoft.Extensions.Hosting;

namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// Scrapes every connected proxy's /stats/prometheus into the <see cref="TrafficRing"/>: the graph's
/// data when no Prometheus runs. Every wait and every body is bounded; a proxy that does not answer
/// in time is left out of that sample; the graph measures each proxy between the samples that have it.
/// </summary>
public sealed class ProxyScraper(ProxyRegistry registry, TrafficRing ring, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ScrapeTimeout = TimeSpan.FromSeconds(2);
    private const int MaxBodyBytes = 8 * 1024 * 1024;

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = ScrapeTimeout })
    {
        Timeout = ScrapeTimeout,
        MaxResponseContentBufferSize = MaxBodyBytes,
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            ring.Add(await ScrapeOnceAsync(registry.Connected, stoppingToken).ConfigureAwait(false));
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    /// <summary>One sample: every proxy scraped at once, those that fail or time out left out.</summary>
    public async Task<TrafficSample> ScrapeOnceAsync(IEnumerable<ProxyConnection> proxies, CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var scrapes = proxies
            .Select(p => (p.Id, Target: PrometheusTargets.TargetOf(p.Registration)))
            .Where(p => p.Target is not null)
            .Select(async p => (p.Id, Text: await ScrapeAsync(p.Target!, cancellationToken).ConfigureAwait(false)))
            .ToList();
        var byProxy = ImmutableDictionary.CreateBuilder<string, IReadOnlyDictionary<EdgeKey, EdgeCounters>>(StringComparer.Ordinal);
        var refused = ImmutableDictionary.CreateBuilder<string, IReadOnlyDictionary<RefusedKey, double>>(StringComparer.Ordinal);
        foreach (var (id, text) in await Task.WhenAll(scrapes).ConfigureAwait(false))
        {
            if (text is null) continue;
            byProxy[id] = RequestCounters.Parse(text);
            refused[id] = RefusedCounters.Parse(text);
        }
        return new TrafficSample(at, byProxy.ToImmutable()) { RefusedByProxy = refused.ToImmutable() };
    }

    private async Task<string?> ScrapeAsync(string target, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.GetStringAsync(new Uri($"http://{target}{PrometheusTargets.MetricsPath}"), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }
}

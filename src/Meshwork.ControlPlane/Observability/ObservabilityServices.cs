using System.Globalization;
using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Registry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// What the control plane offers for observing the mesh: Prometheus service discovery over the
/// connected proxies, and the traffic graph from the samples it scrapes itself. Both need the admin
/// credential; the target list also opens to the read-only discovery token Prometheus holds. Expects <see cref="ProxyRegistry"/> in DI (<see cref="ProxyServices"/> adds it).
/// </summary>
public static class ObservabilityServices
{
    /// <summary>One hour of samples at the scrape interval: the longest window the graph offers.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(1);

    public static IServiceCollection Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(new TrafficRing((int)(Retention / ProxyScraper.Interval) + 1));
        services.TryAddSingleton<ProxyScraper>();
        services.TryAddSingleton<PrometheusQuery>();
        services.AddHostedService(sp => sp.GetRequiredService<ProxyScraper>());
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet(PrometheusTargets.Path, (HttpContext c, ProxyRegistry registry) =>
            AdminGate.RefuseUnlessDiscoveryReader(c) ?? Results.Bytes(PrometheusTargets.Write(registry.Connected), "application/json"));
        app.MapGet(TrafficGraph.Path, async (HttpContext c, TrafficRing ring, PrometheusQuery prometheus, ProxyRegistry registry, TimeProvider time) =>
            AdminGate.Refuse(c) ?? await GraphAsync(c, ring, prometheus, registry, time).ConfigureAwait(false));
        return app;
    }

    /// <summary>
    /// The graph for ?window= and ?namespace=, for whoever the caller's gate let through: from
    /// Prometheus when the addon runs and answers, else from the control plane's own samples.
    /// </summary>
    internal static async Task<IResult> GraphAsync(HttpContext context, TrafficRing ring, PrometheusQuery prometheus, ProxyRegistry registry, TimeProvider time)
    {
        if (!TryParseWindow(context.Request.Query["window"].ToString(), out var window))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad Request",
                detail: $"window must be a duration from 1m to {Retention.TotalHours:0}h such as 1m, 10m, 1h (or seconds)");
        }
        var ns = context.Request.Query["namespace"].ToString() is { Length: > 0 } given ? given : null;
        var now = time.GetUtcNow();
        var hasSidecar = SidecarsReporting(registry);
        var graph = await prometheus.IncreaseAsync(window, context.RequestAborted).ConfigureAwait(false) is { } counted
            ? TrafficGraph.Of(counted, now - window, now, ns, TrafficGraph.FromPrometheus,
                await prometheus.RefusedIncreaseAsync(window, context.RequestAborted).ConfigureAwait(false), hasSidecar)
            : TrafficGraph.Over(ring.Window(now - window), ns, hasSidecar) ?? new TrafficGraph(now - window, now, [], [], TrafficGraph.FromProxies);
        return Results.Json(graph, TrafficGraphJson.Default.TrafficGraph);
    }

    /// <summary>
    /// (namespace, workload) → whether a connected sidecar reports that workload's inbound requests. Not the Deployment's
    /// injection setting: a pod started before its namespace was labelled runs without a sidecar, as seed 001's
    /// web-frontend does, and only the proxies that call it can say what it answered.
    /// </summary>
    private static Func<string, string, bool> SidecarsReporting(ProxyRegistry registry)
    {
        var reporting = registry.Connected
            .Where(p => p.Registration.Role == ProxyProtocol.Snapshots.ProxyRole.Sidecar)
            .Select(p => (p.Registration.Namespace, p.Registration.Workload ?? p.Registration.Pod))
            .ToHashSet();
        return (@namespace, workload) => reporting.Contains((@namespace, workload));
    }

    /// <summary>"10m", "1h", "90s" or bare seconds, from one minute to <see cref="Retention"/>; empty means 10 minutes.</summary>
    internal static bool TryParseWindow(string text, out TimeSpan window)
    {
        window = TimeSpan.FromMinutes(10);
        if (text.Length == 0) return true;
        var unit = char.IsAsciiLetter(text[^1]) ? text[^1] : 's';
        var digits = char.IsAsciiLetter(text[^1]) ? text[..^1] : text;
        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) return false;
        TimeSpan? parsed = unit switch
        {
            's' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMinutes(amount),
            'h' => TimeSpan.FromHours(amount),
            _ => null,
        };
        if (parsed is not { } value || value < TimeSpan.FromMinutes(1) || value > Retention) return false;
        window = value;
        return true;
    }
}

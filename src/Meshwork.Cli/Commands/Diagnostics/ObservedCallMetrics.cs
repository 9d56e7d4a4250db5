using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Policy.Why;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// Reads one call's counters out of a sidecar's Prometheus text, by response code and response flags: requests
/// (<c>istio_requests_total</c>) for an HTTP port, closed connections (<c>istio_tcp_connections_closed_total</c>,
/// code 0) for a TCP one.
/// </summary>
public static class ObservedCallMetrics
{
    /// <summary>What a client's sidecar counted towards <paramref name="service"/> (its FQDN), as reporter="source".</summary>
    public static ImmutableArray<ObservedCalls> ToService(string prometheusText, bool tcp, string service) =>
        Read(prometheusText, tcp, l => l.GetValueOrDefault("reporter") == "source" && l.GetValueOrDefault("destination_service") == service);

    /// <summary>What an endpoint's sidecar counted from <paramref name="workload"/> of <paramref name="workloadNamespace"/>, as reporter="destination".</summary>
    public static ImmutableArray<ObservedCalls> FromWorkload(string prometheusText, bool tcp, string workload, string workloadNamespace) =>
        Read(prometheusText, tcp, l => l.GetValueOrDefault("reporter") == "destination"
            && l.GetValueOrDefault("source_workload") == workload && l.GetValueOrDefault("source_workload_namespace") == workloadNamespace);

    private static ImmutableArray<ObservedCalls> Read(string prometheusText, bool tcp, Func<IReadOnlyDictionary<string, string>, bool> matches)
    {
        var totals = new Dictionary<(int Code, string Flags), long>();
        foreach (var (labels, count) in ProxyStats.Series(prometheusText, tcp ? "istio_tcp_connections_closed_total" : "istio_requests_total"))
        {
            if (!matches(labels)) continue;
            var code = 0;
            if (!tcp && !int.TryParse(labels.GetValueOrDefault("response_code"), NumberStyles.None, CultureInfo.InvariantCulture, out code)) continue;
            var key = (code, labels.GetValueOrDefault("response_flags") ?? "-");
            totals[key] = totals.GetValueOrDefault(key) + count;
        }
        return [.. totals.Where(t => t.Value > 0).OrderBy(t => t.Key.Code).ThenBy(t => t.Key.Flags, StringComparer.Ordinal)
            .Select(t => new ObservedCalls(t.Key.Code, t.Key.Flags, t.Value))];
    }
}

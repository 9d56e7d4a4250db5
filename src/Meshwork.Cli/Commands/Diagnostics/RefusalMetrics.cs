using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Policy.Why;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// Reads <c>meshwork_refused_connections_total</c> out of a sidecar's Prometheus text: the connections it
/// refused before any HTTP, by reason and source address.
/// </summary>
internal static class RefusalMetrics
{
    /// <summary>The refusals of connections from <paramref name="sourceAddress"/>, one entry per reason and port.</summary>
    public static ImmutableArray<RefusedConnections> From(string prometheusText, string sourceAddress)
    {
        var found = ImmutableArray.CreateBuilder<RefusedConnections>();
        foreach (var (labels, count) in ProxyStats.Series(prometheusText, "meshwork_refused_connections_total"))
        {
            if (labels.GetValueOrDefault("source_address") != sourceAddress) continue;
            if (!int.TryParse(labels.GetValueOrDefault("destination_port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port)) continue;
            found.Add(new RefusedConnections(labels.GetValueOrDefault("reason") ?? "unknown", port, count));
        }
        return found.ToImmutable();
    }
}

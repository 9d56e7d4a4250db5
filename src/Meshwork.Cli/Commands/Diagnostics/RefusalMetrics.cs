using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Policy.Why;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// Reads <c>meshwork_refused_connections_total</c> out of a sidecar's Prometheus text: the connections it
/// refused before any HTTP, by reason and source address. A line that does not parse is skipped, never guessed at.
/// </summary>
internal static class RefusalMetrics
{
    private const string Metric = "meshwork_refused_connections_total{";

    /// <summary>The refusals of connections from <paramref name="sourceAddress"/>, one entry per reason and port.</summary>
    public static ImmutableArray<RefusedConnections> From(string prometheusText, string sourceAddress)
    {
        ArgumentNullException.ThrowIfNull(prometheusText);
        var found = ImmutableArray.CreateBuilder<RefusedConnections>();
        foreach (var line in prometheusText.Split('\n'))
        {
            if (!line.StartsWith(Metric, StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('}');
            if (close < 0 || !long.TryParse(line.AsSpan(close + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count)) continue;
            var labels = Labels(line[Metric.Length..close]);
            if (labels.GetValueOrDefault("source_address") != sourceAddress) continue;
            if (!int.TryParse(labels.GetValueOrDefault("destination_port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port)) continue;
            found.Add(new RefusedConnections(labels.GetValueOrDefault("reason") ?? "unknown", port, count));
        }
        return found.ToImmutable();
    }

    /// <summary>name="value" pairs; the exposition format escapes only backslash, quote and newline inside values.</summary>
    private static Dictionary<string, string> Labels(string text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            var eq = text.IndexOf("=\"", i, StringComparison.Ordinal);
            if (eq < 0) break;
            var name = text[i..eq].Trim(',', ' ');
            var value = new System.Text.StringBuilder();
            var j = eq + 2;
            for (; j < text.Length && text[j] != '"'; j++)
            {
                if (text[j] == '\\' && j + 1 < text.Length) j++;
                value.Append(text[j]);
            }
            labels[name] = value.ToString();
            i = j + 1;
        }
        return labels;
    }
}

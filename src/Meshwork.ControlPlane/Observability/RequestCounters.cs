using System.Globalization;

namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// One traffic edge as the destination's sidecar reports it (reporter="destination"): who called,
/// which workload answered, through which service, and whether the connection was mutual TLS.
/// </summary>
public readonly record struct EdgeKey(
    string SourceWorkload, string SourceNamespace, string DestinationWorkload, string DestinationNamespace,
    string DestinationService, string SecurityPolicy)
{
    /// <summary>
    /// Reported by the caller's proxy (reporter="source") rather than the destination's. The graph uses such an edge only
    /// where the destination has no sidecar to report it; its security policy is "unknown", so it never gets a padlock.
    /// </summary>
    public bool BySource { get; init; }
}

/// <summary>Requests and server errors (5xx) counted on an edge since the reporting proxy started.</summary>
public readonly record struct EdgeCounters(double Requests, double Errors)
{
    public static EdgeCounters operator +(EdgeCounters a, EdgeCounters b) => new(a.Requests + b.Requests, a.Errors + b.Errors);
}

/// <summary>
/// Reads the istio_requests_total lines of one proxy's Prometheus exposition into edge counters, both reporters
/// (source-reported edges marked <see cref="EdgeKey.BySource"/>). Strict where it matters: a line it cannot read is
/// skipped, never half-used.
/// </summary>
public static class RequestCounters
{
    public static IReadOnlyDictionary<EdgeKey, EdgeCounters> Parse(string exposition)
    {
        var edges = new Dictionary<EdgeKey, EdgeCounters>();
        foreach (var reporter in (ReadOnlySpan<string>)["destination", "source"])
        {
            foreach (var (labels, value) in Series(exposition, "istio_requests_total", reporter))
            {
                Add(edges, name => labels.GetValueOrDefault(name, "unknown"), value, reporter == "source");
            }
        }
        return edges;
    }

    /// <summary>Adds one series, read through <paramref name="label"/> ("unknown" when absent), to <paramref name="edges"/>; a 5xx is an error.</summary>
    internal static void Add(Dictionary<EdgeKey, EdgeCounters> edges, Func<string, string> label, double value, bool bySource)
    {
        var key = new EdgeKey(label("source_workload"), label("source_workload_namespace"), label("destination_workload"),
            label("destination_workload_namespace"), label("destination_service"), label("connection_security_policy")) { BySource = bySource };
        var error = label("response_code").StartsWith('5');
        edges[key] = edges.GetValueOrDefault(key) + new EdgeCounters(value, error ? value : 0);
    }

    /// <summary>The lines of <paramref name="metric"/> from <paramref name="reporter"/>: labels and value, lines that do not read skipped.</summary>
    internal static IEnumerable<(Dictionary<string, string> Labels, double Value)> Series(string exposition, string metric, string reporter = "destination")
    {
        ArgumentNullException.ThrowIfNull(exposition);
        var prefix = metric + "{";
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('}');
            if (close < prefix.Length
                || !double.TryParse(line.AsSpan(close + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                || TryReadLabels(line.AsSpan(prefix.Length, close - prefix.Length)) is not { } labels
                || labels.GetValueOrDefault("reporter") != reporter)
            {
                continue;
            }
            yield return (labels, value);
        }
    }

    /// <summary>name="value" pairs separated by commas, with the text format's escapes; null when malformed.</summary>
    internal static Dictionary<string, string>? TryReadLabels(ReadOnlySpan<char> text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var value = new System.Text.StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            var equals = text[i..].IndexOf("=\"", StringComparison.Ordinal);
            if (equals <= 0) return null;
            var name = text.Slice(i, equals).Trim().ToString();
            i += equals + 2;
            value.Clear();
            for (; ; i++)
            {
                if (i >= text.Length) return null;
                var c = text[i];
                if (c == '"') break;
                if (c == '\\')
                {
                    if (++i >= text.Length) return null;
                    value.Append(text[i] switch { 'n' => '\n', var other => other });
                    continue;
                }
                value.Append(c);
            }
            labels[name] = value.ToString();
            i++;
            if (i < text.Length)
            {
                if (text[i] != ',') return null;
                i++;
            }
        }
        return labels;
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Meshwork.ControlPlane.Hosting;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// The graph's counts from Prometheus when the addon runs: found as Istio's addon is, through the
/// Service istio-system/prometheus and a running pod it selects, and asked for the increase of
/// istio_requests_total over the window, by reporter, a series born inside the window counted from zero as the
/// control plane's own samples count it. Any failure (no such service, no answer in time, an answer
/// that does not parse) yields null, and the graph falls back to the control plane's own samples.
/// </summary>
public sealed class PrometheusQuery(IMeshStateSource mesh)
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(3);
    private const int MaxBodyBytes = 16 * 1024 * 1024;
    private static readonly string[] ByLabels =
        ["reporter", "source_workload", "source_workload_namespace", "destination_workload", "destination_workload_namespace",
         "destination_service", "connection_security_policy", "response_code"];
    private static readonly string[] RefusedByLabels = ["source_address", "destination_workload", "destination_workload_namespace", "reason"];

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = QueryTimeout })
    {
        Timeout = QueryTimeout,
        MaxResponseContentBufferSize = MaxBodyBytes,
    };

    /// <summary>http://address:port of a running Prometheus addon pod, or null.</summary>
    public Uri? Locate()
    {
        var state = mesh.Current;
        var service = state.Services.FirstOrDefault(s => s.Metadata.Namespace == "istio-system" && s.Metadata.Name == "prometheus");
        if (service is null || service.Spec.Selector.IsEmpty || service.Spec.Ports.FirstOrDefault() is not { } port) return null;
        var pod = state.Pods.FirstOrDefault(p => p.Metadata.Namespace == "istio-system" && p.Status.Phase == "Running"
            && service.Spec.Selector.Matches(p.Metadata.Labels) && IPAddress.TryParse(p.Status.PodIP, out _));
        return pod is null ? null : new Uri($"http://{new IPEndPoint(IPAddress.Parse(pod.Status.PodIP!), port.TargetPort?.Number ?? port.Port)}");
    }

    /// <summary>The requests per edge over <paramref name="window"/> ending now, both reporters, or null when Prometheus cannot say.</summary>
    public Task<IReadOnlyDictionary<EdgeKey, EdgeCounters>?> IncreaseAsync(TimeSpan window, CancellationToken cancellationToken) =>
        AskAsync(WindowIncrease("istio_requests_total", window, ByLabels), Read, cancellationToken);

    /// <summary>The connections each destination refused before HTTP over <paramref name="window"/>, or null when Prometheus cannot say.</summary>
    public Task<IReadOnlyDictionary<RefusedKey, double>?> RefusedIncreaseAsync(TimeSpan window, CancellationToken cancellationToken) =>
        AskAsync(WindowIncrease(RefusedCounters.Metric, window, RefusedByLabels), ReadRefused, cancellationToken);

    /// <summary>
    /// The increase of the counter <paramref name="metric"/> over <paramref name="window"/>, summed by <paramref name="by"/>.
    /// </summary>
    /// <remarks>
    /// increase() needs two samples of a series and measures from the first one, so a series that a proxy creates with its
    /// first request (every istio_requests_total series) never shows that request, nor any when it gets no second one: one
    /// curl would draw no edge. A series with fewer samples in the window than its target had successful scrapes (up is 1
    /// per successful scrape) was born inside the window, after a scrape that did not have it: all of its count is new, so
    /// its last value is the increase, as the control plane's own samples count an edge a proxy did not have before.
    /// </remarks>
    internal static string WindowIncrease(string metric, TimeSpan window, IEnumerable<string> by)
    {
        var range = ((int)window.TotalSeconds).ToString(CultureInfo.InvariantCulture) + "s";
        var born = $"(count_over_time({metric}[{range}]) < on(job, instance) group_left sum_over_time(up[{range}]))";
        return $"sum by ({string.Join(',', by)}) ((increase({metric}[{range}]) unless {born}) or (last_over_time({metric}[{range}]) and {born}))";
    }

    private async Task<T?> AskAsync<T>(string query, Func<JsonElement, T?> read, CancellationToken cancellationToken) where T : class
    {
        if (Locate() is not { } prometheus) return null;
        try
        {
            using var document = JsonDocument.Parse(await _http.GetStringAsync(
                new Uri(prometheus, $"/api/v1/query?query={Uri.EscapeDataString(query)}"), cancellationToken).ConfigureAwait(false));
            return read(document.RootElement);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or InvalidOperationException or KeyNotFoundException
            or FormatException || e is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>An instant-vector answer ({"status":"success","data":{"result":[{"metric":{…},"value":[t,"v"]}]}}) as edge counts.</summary>
    internal static IReadOnlyDictionary<EdgeKey, EdgeCounters>? Read(JsonElement answer)
    {
        if (Rows(answer) is not { } rows) return null;
        var edges = new Dictionary<EdgeKey, EdgeCounters>();
        foreach (var (label, value) in rows)
        {
            var reporter = label("reporter");
            if (reporter is "destination" or "source") RequestCounters.Add(edges, label, value, reporter == "source");
        }
        return edges;
    }

    internal static IReadOnlyDictionary<RefusedKey, double>? ReadRefused(JsonElement answer)
    {
        if (Rows(answer) is not { } rows) return null;
        var refused = new Dictionary<RefusedKey, double>();
        foreach (var (label, value) in rows)
        {
            var key = RefusedCounters.KeyOf(label);
            refused[key] = refused.GetValueOrDefault(key) + value;
        }
        return refused;
    }

    /// <summary>The series of a successful answer with a positive value, each as a label reader ("unknown" when absent) and the value; null for an error answer.</summary>
    private static List<(Func<string, string> Label, double Value)>? Rows(JsonElement answer)
    {
        if (answer.GetProperty("status").GetString() != "success") return null;
        var rows = new List<(Func<string, string>, double)>();
        foreach (var series in answer.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric").Clone();
            var value = double.Parse(series.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(value) || value <= 0) continue;
            rows.Add((name => labels.TryGetProperty(name, out var v) && v.GetString() is { Length: > 0 } s ? s : "unknown", value));
        }
        return rows;
    }
}

using System.Globalization;
using System.Net;
using System.Text.Json;
using Meshwork.ControlPlane.Hosting;
using Meshwork.Model.Resources;

namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// The graph's counts from Prometheus when the addon runs: found as Istio's addon is, through the
/// Service istio-system/prometheus and a running pod it selects, and asked for the increase of
/// istio_requests_total over the window. Any failure (no such service, no answer in time, an answer
/// that does not parse) yields null, and the graph falls back to the control plane's own samples.
/// </summary>
public sealed class PrometheusQuery(IMeshStateSource mesh)
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(3);
    private const int MaxBodyBytes = 16 * 1024 * 1024;
    private static readonly string[] ByLabels =
        ["source_workload", "source_workload_namespace", "destination_workload", "destination_workload_namespace",
         "destination_service", "connection_security_policy", "response_code"];

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

    /// <summary>The requests per edge over <paramref name="window"/> ending now, or null when Prometheus cannot say.</summary>
    public async Task<IReadOnlyDictionary<EdgeKey, EdgeCounters>?> IncreaseAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        if (Locate() is not { } prometheus) return null;
        var range = ((int)window.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        var query = $"sum by ({string.Join(',', ByLabels)}) (increase(istio_requests_total{{reporter=\"destination\"}}[{range}s]))";
        try
        {
            using var document = JsonDocument.Parse(await _http.GetStringAsync(
                new Uri(prometheus, $"/api/v1/query?query={Uri.EscapeDataString(query)}"), cancellationToken).ConfigureAwait(false));
            return Read(document.RootElement);
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
        if (answer.GetProperty("status").GetString() != "success") return null;
        var edges = new Dictionary<EdgeKey, EdgeCounters>();
        foreach (var series in answer.GetProperty("data").GetProperty("result").EnumerateArray())
        {
            var labels = series.GetProperty("metric");
            string Label(string name) => labels.TryGetProperty(name, out var v) && v.GetString() is { Length: > 0 } s ? s : "unknown";
            var value = double.Parse(series.GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (!double.IsFinite(value) || value <= 0) continue;
            var key = new EdgeKey(Label("source_workload"), Label("source_workload_namespace"), Label("destination_workload"),
                Label("destination_workload_namespace"), Label("destination_service"), Label("connection_security_policy"));
            var error = Label("response_code").StartsWith('5');
            edges[key] = edges.GetValueOrDefault(key) + new EdgeCounters(value, error ? value : 0);
        }
        return edges;
    }
}

using System.Text;
using Meshwork.Proxy.Metrics;

namespace Meshwork.Proxy.Tests.Metrics;

/// <summary>istio_request_duration_milliseconds, istio_request_bytes and istio_response_bytes as Prometheus reads them.</summary>
public sealed class RequestHistogramTests
{
    private static readonly MetricLabels Destination = new()
    {
        Reporter = "destination",
        DestinationWorkload = "httpbin",
        RequestProtocol = "http",
        ConnectionSecurityPolicy = "mutual_tls",
    };

    private static string Render(ProxyMetrics metrics)
    {
        var text = new StringBuilder();
        metrics.WritePrometheus(text);
        return text.ToString();
    }

    private static string Line(string text, string prefix, string suffix) =>
        Assert.Single(text.Split('\n'), l => l.StartsWith(prefix, StringComparison.Ordinal) && l.Contains(suffix, StringComparison.Ordinal));

    [Fact]
    public void Body_sizes_fill_cumulative_buckets_with_Envoys_default_bounds_and_a_sum_and_count()
    {
        var metrics = new ProxyMetrics();
        var labels = metrics.Intern(Destination);
        metrics.RecordRequest(labels, 200, ResponseFlags.None, 3, requestBytes: 0, responseBytes: 700);
        metrics.RecordRequest(labels, 200, ResponseFlags.None, 4, requestBytes: 20, responseBytes: 4000);
        var text = Render(metrics);

        Assert.EndsWith(",le=\"0.5\"} 1", Line(text, "istio_request_bytes_bucket{reporter=\"destination\"", "le=\"0.5\""), StringComparison.Ordinal);
        Assert.EndsWith(" 1", Line(text, "istio_request_bytes_bucket{", "le=\"10\""), StringComparison.Ordinal);
        Assert.EndsWith(" 2", Line(text, "istio_request_bytes_bucket{", "le=\"25\""), StringComparison.Ordinal);
        Assert.EndsWith(" 2", Line(text, "istio_request_bytes_bucket{", "le=\"+Inf\""), StringComparison.Ordinal);
        Assert.EndsWith("} 20", Line(text, "istio_request_bytes_sum{", ""), StringComparison.Ordinal);
        Assert.EndsWith(" 0", Line(text, "istio_response_bytes_bucket{", "le=\"500\""), StringComparison.Ordinal);
        Assert.EndsWith(" 1", Line(text, "istio_response_bytes_bucket{", "le=\"1000\""), StringComparison.Ordinal);
        Assert.EndsWith(" 2", Line(text, "istio_response_bytes_bucket{", "le=\"5000\""), StringComparison.Ordinal);
        Assert.EndsWith("} 4700", Line(text, "istio_response_bytes_sum{", ""), StringComparison.Ordinal);
        Assert.EndsWith("} 2", Line(text, "istio_response_bytes_count{", ""), StringComparison.Ordinal);
        // Same labels as istio_requests_total, in Istio's order, response_code before the security policy.
        Assert.Contains(",response_code=\"200\",grpc_response_status=\"\",response_flags=\"-\",connection_security_policy=\"mutual_tls\",le=\"1000\"}",
            Line(text, "istio_response_bytes_bucket{", "le=\"1000\""), StringComparison.Ordinal);
        Assert.EndsWith("} 7", Line(text, "istio_request_duration_milliseconds_sum{", ""), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_counted_request_is_in_both_size_histograms_a_local_reply_with_the_body_it_wrote()
    {
        var metrics = new ProxyMetrics();
        metrics.RecordRequest(metrics.Intern(Destination), 503, ResponseFlags.UpstreamConnectionFailure, 1, 0, 91);
        var text = Render(metrics);
        Assert.EndsWith("} 1", Line(text, "istio_requests_total{", "response_code=\"503\""), StringComparison.Ordinal);
        Assert.EndsWith("} 1", Line(text, "istio_request_bytes_count{", "response_code=\"503\""), StringComparison.Ordinal);
        Assert.EndsWith("} 0", Line(text, "istio_request_bytes_sum{", "response_code=\"503\""), StringComparison.Ordinal);
        Assert.EndsWith("} 91", Line(text, "istio_response_bytes_sum{", "response_code=\"503\""), StringComparison.Ordinal);
    }

    [Fact]
    public void Label_values_are_escaped_as_the_text_format_requires()
    {
        var metrics = new ProxyMetrics();
        metrics.RecordRequest(metrics.Intern(Destination with { DestinationApp = "a\"b\\c\nd" }), 200, ResponseFlags.None, 1, 0, 0);
        Assert.Contains("destination_app=\"a\\\"b\\\\c\\nd\"", Render(metrics), StringComparison.Ordinal);
    }
}

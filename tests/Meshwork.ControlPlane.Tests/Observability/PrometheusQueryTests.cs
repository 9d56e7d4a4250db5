using System.Text.Json;
using Meshwork.ControlPlane.Observability;

namespace Meshwork.ControlPlane.Tests.Observability;

/// <summary>Prometheus's instant-vector answer read as edge counts.</summary>
public sealed class PrometheusQueryTests
{
    private static string Series(string source, string csp, string code, string value, string reporter = "destination") =>
        $$"""{"metric":{"reporter":"{{reporter}}","source_workload":"{{source}}","source_workload_namespace":"foo","destination_workload":"httpbin","destination_workload_namespace":"foo","destination_service":"httpbin.foo.svc.cluster.local","connection_security_policy":"{{csp}}","response_code":"{{code}}"},"value":[1700000000.1,"{{value}}"]}""";

    [Fact]
    public void Series_become_edges_with_5xx_as_errors_and_idle_series_left_out()
    {
        var answer = """{"status":"success","data":{"resultType":"vector","result":["""
            + string.Join(',', Series("sleep", "mutual_tls", "200", "12"), Series("sleep", "mutual_tls", "503", "3"), Series("unknown", "none", "200", "0"),
                Series("sleep", "unknown", "502", "4", reporter: "source"))
            + "]}}";
        using var document = JsonDocument.Parse(answer);
        var edges = PrometheusQuery.Read(document.RootElement)!;
        Assert.Equal(2, edges.Count);
        Assert.Equal(new EdgeCounters(15, 3), edges[new EdgeKey("sleep", "foo", "httpbin", "foo", "httpbin.foo.svc.cluster.local", "mutual_tls")]);
        Assert.Equal(new EdgeCounters(4, 4), edges[new EdgeKey("sleep", "foo", "httpbin", "foo", "httpbin.foo.svc.cluster.local", "unknown") { BySource = true }]);
    }

    [Fact]
    public void Refused_connections_are_read_by_address_workload_and_reason()
    {
        const string Answer = """{"status":"success","data":{"resultType":"vector","result":[{"metric":{"source_address":"127.0.0.9","destination_workload":"httpbin","destination_workload_namespace":"foo","reason":"plaintext_on_strict"},"value":[1700000000.1,"4"]}]}}""";
        using var document = JsonDocument.Parse(Answer);
        var (key, count) = Assert.Single(PrometheusQuery.ReadRefused(document.RootElement)!);
        Assert.Equal((new RefusedKey("127.0.0.9", "httpbin", "foo", "plaintext_on_strict"), 4.0), (key, count));
    }

    [Fact]
    public void An_error_answer_is_no_answer()
    {
        using var document = JsonDocument.Parse("""{"status":"error","errorType":"bad_data","error":"parse error"}""");
        Assert.Null(PrometheusQuery.Read(document.RootElement));
    }
}

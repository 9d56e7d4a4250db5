using System.Net;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Admin;

/// <summary>The read-only metrics listener (Istio's :15090), which Prometheus scrapes, in loopback mode too.</summary>
public sealed class MetricsListenerTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private Pod _pod = null!;

    public async Task InitializeAsync()
    {
        var app = await _mesh.StartAppAsync();
        _pod = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), app.Port)],
            configure: o => o with { MetricsAddress = new IPEndPoint(IPAddress.Parse(o.PodIp), 0) });
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Serves_stats_prometheus_and_answers_404_to_every_admin_path()
    {
        var metrics = $"http://{_pod.Proxy.MetricsEndPoint}";
        var prometheus = await Curl.RunAsync($"{metrics}/stats/prometheus");
        Assert.Equal("200", prometheus.HttpCode);
        Assert.Contains("meshwork_snapshot_info{", prometheus.Body, StringComparison.Ordinal);

        foreach (var path in new[] { "/stats", "/config_dump", "/certs", "/logging?level=debug", "/ready", "/" })
            Assert.Equal("404", (await Curl.RunAsync($"{metrics}{path}")).HttpCode);
        Assert.Equal("404", (await Curl.RunAsync("-X", "POST", $"{metrics}/stats/prometheus")).HttpCode);
        // The admin listener itself is unchanged.
        Assert.Equal("200", (await Curl.RunAsync($"{_pod.Admin}certs")).HttpCode);
    }
}

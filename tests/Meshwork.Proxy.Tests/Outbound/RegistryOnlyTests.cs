using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Outbound;

/// <summary>outboundTrafficPolicy REGISTRY_ONLY on the http_proxy listener: a host outside the sidecar's scope is Istio's BlackHoleCluster.</summary>
public sealed class RegistryOnlyTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();

    [Fact]
    public async Task A_host_outside_the_scope_gets_502_counted_as_the_BlackHoleCluster_and_shown_by_proxy_config()
    {
        var scope = new OutboundScope { Sidecar = "Sidecar foo/default (namespace default)", Hosts = ["foo/*"], Unlisted = UnlistedTraffic.BlackHole, UnlistedSource = "Sidecar foo/default" };
        var client = await _mesh.StartPodAsync("foo", "sleep", scope: scope);

        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.bar:8000/ip");

        Assert.Equal("502", result.HttpCode);
        var metrics = (await Curl.RunAsync($"{client.Admin}stats/prometheus")).Body;
        Assert.Contains(metrics.Split('\n'), l => l.StartsWith("istio_requests_total", StringComparison.Ordinal)
            && l.Contains("destination_service_name=\"BlackHoleCluster\"", StringComparison.Ordinal) && l.Contains("response_code=\"502\"", StringComparison.Ordinal));
        var dump = (await Curl.RunAsync($"{client.Admin}config_dump")).Body;
        Assert.Contains("\"name\":\"BlackHoleCluster\"", dump.Replace(" ", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_scope_an_unknown_host_is_no_BlackHoleCluster()
    {
        var client = await _mesh.StartPodAsync("foo", "sleep");

        Assert.Equal("502", (await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.bar:8000/ip")).HttpCode);
        Assert.DoesNotContain("BlackHoleCluster", (await Curl.RunAsync($"{client.Admin}stats/prometheus")).Body, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _mesh.DisposeAsync();
}

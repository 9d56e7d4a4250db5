using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Inbound;

public sealed class AppUnavailableTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task When_the_app_is_not_listening_the_sidecar_answers_503_with_UF_in_the_metrics()
    {
        var deadPort = Mesh.FreePort("127.0.0.1");
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), deadPort)]);
        var result = await Curl.RunAsync($"http://{server.Ip}:{server.InboundPort(8000)}/ip");
        Assert.Equal("503", result.HttpCode);
        Assert.Contains("connection failure", result.Body);
        var stats = (await Curl.RunAsync($"{server.Admin}stats/prometheus")).Body;
        Assert.Contains(stats.Split('\n'), l => l.StartsWith("istio_requests_total{", StringComparison.Ordinal) && l.Contains("response_code=\"503\"") && l.Contains("response_flags=\"UF\""));
    }
}

using System.Net;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Observability;
using Meshwork.ControlPlane.Registry;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ControlPlane.Tests.Push;

namespace Meshwork.ControlPlane.Tests.Observability;

/// <summary>The Prometheus service-discovery endpoint on a real control plane: who is listed, and who may ask.</summary>
public sealed class PrometheusTargetsTests
{
    [Fact]
    public async Task A_connected_proxy_is_listed_with_its_metrics_address_and_pod_labels_and_leaves_when_its_stream_ends()
    {
        await using var server = await ProxyServerFixture.StartAsync(HttpbinProxy.Mesh());
        using var admin = server.AdminClient();
        Assert.Equal("[]", await admin.GetStringAsync(PrometheusTargets.Path, Guard.Token));

        var cert = await server.EnrollAsync("foo", "httpbin");
        var stream = await TestStream.OpenAsync(server.Client(cert), HttpbinProxy.Registration("127.0.1.10:15000"));
        await stream.NextAsync(Guard.Token);

        using (var listed = JsonDocument.Parse(await admin.GetStringAsync(PrometheusTargets.Path, Guard.Token)))
        {
            var group = Assert.Single(listed.RootElement.EnumerateArray().ToList());
            Assert.Equal("127.0.1.10:15000", Assert.Single(group.GetProperty("targets").EnumerateArray().ToList()).GetString());
            var labels = group.GetProperty("labels");
            Assert.Equal(("foo", "httpbin-1", "httpbin", "/stats/prometheus"), (
                labels.GetProperty("namespace").GetString(), labels.GetProperty("pod").GetString(),
                labels.GetProperty("workload").GetString(), labels.GetProperty("__metrics_path__").GetString()));
        }

        await stream.DisposeAsync();
        // The stream's end reaches the registry when the server notices the reset: poll, bounded.
        var deadline = DateTime.UtcNow + Guard.Limit;
        string list;
        while ((list = await admin.GetStringAsync(PrometheusTargets.Path, Guard.Token)) != "[]" && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal("[]", list);
    }

    [Fact]
    public async Task The_target_list_needs_the_admin_token()
    {
        await using var server = await ProxyServerFixture.StartAsync(HttpbinProxy.Mesh());
        using var anonymous = server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(PrometheusTargets.Path, Guard.Token)).StatusCode);
        using var wrong = server.Client();
        wrong.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-token");
        Assert.Equal(HttpStatusCode.Forbidden, (await wrong.GetAsync(PrometheusTargets.Path, Guard.Token)).StatusCode);
        // A mesh certificate is a proxy's credential, not an operator's.
        var cert = await server.EnrollAsync("foo", "httpbin");
        using var proxy = server.Client(cert);
        Assert.Equal(HttpStatusCode.Unauthorized, (await proxy.GetAsync(PrometheusTargets.Path, Guard.Token)).StatusCode);
    }

    [Fact]
    public async Task The_discovery_token_lists_the_targets_and_opens_nothing_else()
    {
        await using var server = await ProxyServerFixture.StartAsync(HttpbinProxy.Mesh());
        using var discovery = server.Client();
        discovery.DefaultRequestHeaders.Authorization = new("Bearer", DiscoveryToken.Derive(ProxyServerFixture.AdminToken));
        Assert.Equal("[]", await discovery.GetStringAsync(PrometheusTargets.Path, Guard.Token));

        // Not the traffic graph, not the proxy list, and no bootstrap token for a workload identity.
        Assert.Equal(HttpStatusCode.Forbidden, (await discovery.GetAsync($"{TrafficGraph.Path}?window=10m", Guard.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await discovery.GetAsync(ProxyStatus.StatusPath, Guard.Token)).StatusCode);
        using var body = new StringContent("""{"namespace":"foo","serviceAccount":"httpbin"}""", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.Forbidden, (await discovery.PostAsync(ControlPlanePaths.BootstrapTokens, body, Guard.Token)).StatusCode);
        // A token derived from another admin token is nobody's.
        using var other = server.Client();
        other.DefaultRequestHeaders.Authorization = new("Bearer", DiscoveryToken.Derive("another-admin-token"));
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync(PrometheusTargets.Path, Guard.Token)).StatusCode);
    }

    [Theory]
    [InlineData("127.0.1.10:15000", "127.0.1.10", "127.0.1.10:15000")]
    [InlineData("0.0.0.0:15090", "127.0.1.10", "127.0.1.10:15090")]
    [InlineData(null, "127.0.1.10", "127.0.1.10:15000")]
    [InlineData("[::1]:15000", null, "[::1]:15000")]
    [InlineData("0.0.0.0:15000", null, null)]
    [InlineData("evil.example:80", null, null)]
    [InlineData("127.0.1.10:0", "not-an-ip", null)]
    public void The_scrape_target_is_an_IP_endpoint_or_nothing(string? registered, string? podIp, string? expected)
    {
        var registration = HttpbinProxy.Registration(registered) with { PodIp = podIp };
        Assert.Equal(expected, PrometheusTargets.TargetOf(registration));
    }
}

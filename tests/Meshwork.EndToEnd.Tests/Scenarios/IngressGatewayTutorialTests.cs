using Meshwork.EndToEnd.Tests.Infrastructure;
using static Meshwork.EndToEnd.Tests.Infrastructure.HostCurl;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>
/// Seed 001: the web-frontend (no sidecar) and customers (sidecar) behind the ingress gateway that `meshwork up`
/// starts, reached from this host with curl at the gateway Service's load balancer address, as the tutorial does.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class IngressGatewayTutorialTests : IAsyncLifetime
{
    private const string CustomersHost = CustomersScenario.CustomersHost;
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    [Fact]
    public async Task The_gateway_serves_the_frontend_and_customers_and_strict_breaks_only_the_frontends_plaintext_call()
    {
        var (gatewayIp, gateway) = await CustomersScenario.StartAsync(_mesh);
        // A loopback address (loopback mode) or the gateway pod's IP (pod network mode).
        Assert.Matches(@"^(127|10)\.\d+\.\d+\.\d+$", gatewayIp);
        var services = (await _mesh.MustAsync("get", "svc", "-n", "istio-system")).Stdout;
        Assert.Matches($@"(?m)^istio-ingressgateway\s+LoadBalancer\s+\S+\s+{System.Text.RegularExpressions.Regex.Escape(gatewayIp)}\s", services);

        var page = await CurlUntilAsync(r => r.Code == "200" && r.Body.Contains("Jewel Schaefer", StringComparison.Ordinal), gateway);
        Assert.True(page.Code == "200" && page.Body.Contains("Jewel Schaefer", StringComparison.Ordinal), $"{page.Code}: {page.Body}\n{_mesh.Logs()}");

        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/vs-customers-gateway.yaml"));
        var customers = await CurlUntilAsync(r => r.Code == "200" && r.Body.TrimStart().StartsWith('['), gateway, "-H", $"Host: {CustomersHost}");
        Assert.True(customers.Code == "200" && customers.Body.Contains("Jewel Schaefer", StringComparison.Ordinal), $"{customers.Code}: {customers.Body}");

        // customers' sidecar (reporter=destination) saw the gateway over mTLS and the frontend, which has no sidecar, in plaintext.
        var customersIp = (await _mesh.MustAsync("get", "po", "-l", "app=customers", "-ojsonpath={.items[0].status.podIP}")).Stdout.Trim();
        // The metrics port Prometheus scrapes (pod network mode), else the admin port on the pod's address (loopback mode).
        var scraped = await CurlAsync($"http://{customersIp}:15090/stats/prometheus");
        var stats = scraped.Code == "200" ? scraped.Body : (await CurlAsync($"http://{customersIp}:15000/stats/prometheus")).Body;
        Assert.Matches("istio_requests_total\\{reporter=\"destination\",source_workload=\"istio-ingressgateway\"[^}]*connection_security_policy=\"mutual_tls\"", stats);
        Assert.Matches("istio_requests_total\\{reporter=\"destination\",source_workload=\"unknown\"[^}]*source_principal=\"unknown\"[^}]*connection_security_policy=\"none\"", stats);

        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/strict-mtls.yaml"));
        var broken = await CurlUntilAsync(r => r.Body.Contains("ECONNRESET", StringComparison.Ordinal), gateway);
        Assert.Contains("ECONNRESET", broken.Body, StringComparison.Ordinal);
        Assert.Equal("200", (await CurlAsync(gateway, "-H", $"Host: {CustomersHost}")).Code);

        await _mesh.MustAsync("delete", "peerauthentication", "default");
        var healed = await CurlUntilAsync(r => r.Code == "200" && r.Body.Contains("Jewel Schaefer", StringComparison.Ordinal), gateway);
        Assert.Contains("Jewel Schaefer", healed.Body, StringComparison.Ordinal);

        await _mesh.MustAsync("delete", "deploy", "web-frontend", "customers-v1");
        await _mesh.MustAsync("delete", "svc", "customers", "web-frontend");
        await _mesh.MustAsync("delete", "vs", "customers", "web-frontend");
        await _mesh.MustAsync("delete", "gateway", "gateway");

        // A VirtualService bound to a gateway that no longer exists is applied, with istioctl analyze's warning.
        var orphan = await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/vs-customers-gateway.yaml"));
        Assert.Contains("Referenced gateway not found: \"default/gateway\"", orphan.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gateway_demo_runs_every_step_of_the_tutorial()
    {
        var demo = await _mesh.MustAsync("demo", "gateway", "--port", "0");
        string[] steps =
        [
            @"(?m)^GATEWAY_IP=(127|10)\.\d+\.\d+\.\d+",
            "(?m)^200: Web Frontend Customers .*Jewel Schaefer",
            $"(?m)^Host: {CustomersHost} 200: \\[",
            "(?m)^\\d{3}: Web Frontend Customers Error: read ECONNRESET",
        ];
        foreach (var step in steps) Assert.True(System.Text.RegularExpressions.Regex.IsMatch(demo.Stdout, step), $"{step} not in:\n{demo.Stdout}");
        Assert.DoesNotContain("not the expected outcome", demo.Stdout, StringComparison.Ordinal);
    }
}

using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Microsoft.Playwright;
using static Meshwork.EndToEnd.Tests.Infrastructure.HostCurl;

namespace Meshwork.EndToEnd.Tests.Observability;

/// <summary>
/// Seed 001 in the dashboard: the ingress gateway calls the web-frontend, which has no sidecar, in plaintext and
/// customers over mutual TLS. The frontend reports nothing itself, so its edge is drawn from what the gateway saw;
/// after STRICT the frontend's plaintext call to customers is reset and that edge shows the 5xx the frontend returns.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class GatewayDashboardBrowserTests : IAsyncLifetime
{
    private const string CustomersHost = CustomersScenario.CustomersHost;
    private const string GatewayNode = "workload:istio-system/istio-ingressgateway";
    private const string FrontendService = "service:web-frontend.default.svc.cluster.local";
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    [Fact]
    public async Task After_STRICT_the_gateway_to_web_frontend_edge_shows_the_5xx_the_frontend_returns()
    {
        var (_, gateway) = await CustomersScenario.StartAsync(_mesh);
        var page = await CurlUntilAsync(r => r.Code == "200" && r.Body.Contains("Jewel Schaefer", StringComparison.Ordinal), gateway);
        Assert.True(page.Code == "200", $"{page.Code}: {page.Body}\n{_mesh.Logs()}");
        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/vs-customers-gateway.yaml"));
        Assert.Equal("200", (await CurlUntilAsync(r => r.Code == "200", gateway, "-H", $"Host: {CustomersHost}")).Code);

        await using var dashboard = await DashboardBrowser.OpenAsync(_mesh);
        var toFrontend = dashboard.Page.Locator($"#edges tbody tr[data-source='{GatewayNode}'][data-target='{FrontendService}']");
        var toCustomers = dashboard.Page.Locator($"#edges tbody tr[data-source='{GatewayNode}'][data-target='service:{CustomersHost}']");
        // Both terminals of the tutorial, until the control plane's scrapes have both edges.
        await KeepCallingUntilAsync(gateway, async () => await toFrontend.CountAsync() > 0 && await toCustomers.CountAsync() > 0);
        await dashboard.ScreenshotAsync("dashboard-seed-001-permissive.png");
        Assert.Equal("false", await toFrontend.First.GetAttributeAsync("data-padlock"));
        Assert.Equal("true", await toCustomers.First.GetAttributeAsync("data-padlock"));

        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/strict-mtls.yaml"));
        var broken = await CurlUntilAsync(r => r.Body.Contains("ECONNRESET", StringComparison.Ordinal), gateway);
        Assert.True(broken.Code.StartsWith('5'), $"{broken.Code}: {broken.Body}");
        await dashboard.Page.SelectOptionAsync("#window", "1m");
        await KeepCallingUntilAsync(gateway, async () => await toFrontend.CountAsync() > 0 && await Cell(toFrontend, 3) is not ("0%" or ""));
        await dashboard.ScreenshotAsync("dashboard-seed-001-strict.png");

        Assert.NotEqual("0%", await Cell(toFrontend, 3));
        Assert.Equal("false", await toFrontend.First.GetAttributeAsync("data-padlock"));
        Assert.True(await dashboard.Page.EvaluateAsync<bool>(
            "([source, target]) => window.meshworkGraphEdges.edges().some(e => e.source === source && e.target === target && e.label.includes('% err'))",
            new[] { GatewayNode, FrontendService }));
        // The gateway's own mTLS calls to customers keep their padlock and their 200s.
        Assert.Equal("true", await toCustomers.First.GetAttributeAsync("data-padlock"));
    }

    /// <summary>The text of cell <paramref name="index"/> of the first row, or "" when the page has just redrawn it away.</summary>
    private static async Task<string> Cell(ILocator rows, int index) =>
        await rows.CountAsync() > 0 ? (await rows.First.Locator("td").Nth(index).InnerTextAsync()).Trim() : "";

    /// <summary>The tutorial's two request loops, both through the gateway, until <paramref name="done"/> or the patience runs out.</summary>
    private static async Task KeepCallingUntilAsync(string gateway, Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(240);
        while (!await done() && DateTime.UtcNow < deadline)
        {
            await CurlAsync(gateway);
            await CurlAsync(gateway, "-H", $"Host: {CustomersHost}");
            await Task.Delay(1000);
        }
    }
}

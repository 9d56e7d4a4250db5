using System.Text.RegularExpressions;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Microsoft.Playwright;

namespace Meshwork.EndToEnd.Tests.Observability;

/// <summary>The mtls-migration namespaces (foo with sidecars, legacy without) for the dashboard, no addon.</summary>
public sealed class DashboardMesh : MeshFixture
{
    public CommandResult Up { get; private set; } = new(-1, "", "");

    public override async Task InitializeAsync()
    {
        Up = await RunAsync("up", "--port", "0", "-f", Sample("mtls-migration/namespaces.yaml"));
        if (Up.ExitCode != 0) return;
        await ApplyInjectedAsync(Sample("mtls-migration/httpbin.yaml"), "foo");
        await ApplyInjectedAsync(Sample("mtls-migration/sleep.yaml"), "foo");
        await MustAsync("apply", "-n", "legacy", "-f", Sample("mtls-migration/sleep.yaml"));
    }
}

/// <summary>
/// Seed 001's proof by looking, in Debian's chromium driven by Playwright: the graph draws a padlock on
/// the edge whose requests used mutual TLS and none on the legacy client's plaintext edge, which starts
/// at the unknown node. Screenshots go to screenshots/ beside the test assembly.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class DashboardBrowserTests(DashboardMesh mesh) : IClassFixture<DashboardMesh>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private const string Chromium = "/usr/bin/chromium";
    private const string Httpbin = "http://httpbin.foo:8000/ip";

    [Fact]
    public async Task The_graph_draws_padlocks_on_mutual_TLS_edges_and_none_on_the_legacy_clients_edge_from_unknown()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"{mesh.Up}\n{mesh.Logs()}");
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium");
        Assert.Equal("200", (await mesh.CurlUntilAsync("foo", Httpbin, "200", Patience)).Code);
        Assert.Equal("200", (await mesh.CurlUntilAsync("legacy", Httpbin, "200", Patience)).Code);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("200", (await mesh.CurlAsync("foo", Httpbin)).Code);
            Assert.Equal("200", (await mesh.CurlAsync("legacy", Httpbin)).Code);
        }

        var printed = await mesh.MustAsync("dash", "kiali");
        var link = Regex.Match(printed.Stdout, @"https://\S+/dashboard/login\?code=\S+").Value;
        Assert.False(string.IsNullOrEmpty(link), printed.Stdout);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        // The control plane's certificate chains to this mesh's own root, which the browser does not know.
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true, ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(link);
        Assert.EndsWith("/dashboard/", page.Url, StringComparison.Ordinal);

        // The control plane needs two scrapes of the proxies; the page refreshes itself.
        var mtls = page.Locator("#edges tbody tr[data-source='workload:foo/sleep']");
        var plaintext = page.Locator("#edges tbody tr[data-source='unknown'][data-refused='false']");
        await mtls.First.WaitForAsync(new LocatorWaitForOptions { Timeout = (float)Patience.TotalMilliseconds });
        await plaintext.First.WaitForAsync(new LocatorWaitForOptions { Timeout = (float)Patience.TotalMilliseconds });
        await Screenshot(page, "dashboard-mtls-migration.png");

        Assert.Equal("true", await mtls.First.GetAttributeAsync("data-padlock"));
        Assert.Contains("🔒", await mtls.First.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("false", await plaintext.First.GetAttributeAsync("data-padlock"));
        Assert.DoesNotContain("🔒", await plaintext.First.InnerTextAsync(), StringComparison.Ordinal);
        // The drawn graph agrees with the table: the unknown node, and padlocked edges only where mTLS was used.
        Assert.True(await page.EvaluateAsync<bool>("() => window.meshworkGraph.getElementById('unknown').length === 1"));
        Assert.True(await page.EvaluateAsync<bool>(
            "() => window.meshworkGraph.edges().filter(e => e.data('source') === 'unknown').every(e => !e.data('padlock') && !e.data('label').includes('🔒'))"));
        Assert.True(await page.EvaluateAsync<bool>(
            "() => window.meshworkGraph.edges().filter(e => e.data('source') === 'workload:foo/sleep').every(e => e.data('padlock') && e.data('label').startsWith('🔒 mTLS'))"));

        // The namespace filter: legacy's sleep calls into foo, so foo keeps both edges.
        await page.SelectOptionAsync("#namespace", "foo");
        await page.WaitForFunctionAsync("() => document.querySelectorAll(\"#edges tbody tr[data-source='unknown']\").length > 0",
            null, new PageWaitForFunctionOptions { Timeout = (float)Patience.TotalMilliseconds });
        await Screenshot(page, "dashboard-mtls-migration-foo.png");
    }

    private static async Task Screenshot(IPage page, string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name), FullPage = true });
    }
}

using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

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
/// at the unknown node; the edge panel names the PeerAuthentication that decided, the workload page shows
/// the certificate its sidecar holds; after STRICT the legacy edge goes quiet and a refused edge shows the
/// address the legacy client still knocks from.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class DashboardBrowserTests(DashboardMesh mesh) : IClassFixture<DashboardMesh>
{
    private static readonly TimeSpan Patience = DashboardBrowser.Patience;
    private const string Httpbin = "http://httpbin.foo:8000/ip";

    [Fact]
    public async Task Padlocks_on_mTLS_edges_the_deciding_PeerAuthentication_the_certificate_and_after_STRICT_the_legacy_client_refused_at_its_address()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"{mesh.Up}\n{mesh.Logs()}");
        Assert.Equal("200", (await mesh.CurlUntilAsync("foo", Httpbin, "200", Patience)).Code);
        Assert.Equal("200", (await mesh.CurlUntilAsync("legacy", Httpbin, "200", Patience)).Code);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("200", (await mesh.CurlAsync("foo", Httpbin)).Code);
            Assert.Equal("200", (await mesh.CurlAsync("legacy", Httpbin)).Code);
        }

        await using var dashboard = await DashboardBrowser.OpenAsync(mesh);
        var page = dashboard.Page;

        // The control plane needs two scrapes of the proxies; the page refreshes itself.
        var mtls = page.Locator("#edges tbody tr[data-source='workload:foo/sleep']");
        var plaintext = page.Locator("#edges tbody tr[data-source='unknown'][data-refused='false']");
        await mtls.First.WaitForAsync(new LocatorWaitForOptions { Timeout = (float)Patience.TotalMilliseconds });
        await plaintext.First.WaitForAsync(new LocatorWaitForOptions { Timeout = (float)Patience.TotalMilliseconds });
        await dashboard.ScreenshotAsync("dashboard-mtls-migration.png");

        Assert.Equal("true", await mtls.First.GetAttributeAsync("data-padlock"));
        Assert.Contains("🔒", await mtls.First.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("false", await plaintext.First.GetAttributeAsync("data-padlock"));
        Assert.DoesNotContain("🔒", await plaintext.First.InnerTextAsync(), StringComparison.Ordinal);
        // The drawn graph agrees with the table: the unknown node, and padlocked edges only where mTLS was used.
        Assert.True(await page.EvaluateAsync<bool>("() => window.meshworkGraph.getElementById('unknown').length === 1"));
        Assert.True(await page.EvaluateAsync<bool>(
            "() => window.meshworkGraphEdges.edges().filter(e => e.source === 'unknown').every(e => !e.padlock && !e.label.includes('🔒'))"));
        Assert.True(await page.EvaluateAsync<bool>(
            "() => window.meshworkGraphEdges.edges().filter(e => e.source === 'workload:foo/sleep').every(e => e.padlock && e.label.startsWith('🔒 mTLS'))"));
        // And what is drawn agrees: the edge layer drew sleep's edge solid green (mTLS), the legacy client's dashed red.
        await WaitForDrawnAsync(page, "workload:foo/sleep", "false", "mtls");
        await WaitForDrawnAsync(page, "unknown", "false", "plaintext");

        // The namespace filter: legacy's sleep calls into foo, so foo keeps both edges.
        await page.SelectOptionAsync("#namespace", "foo");
        await page.WaitForFunctionAsync("() => document.querySelectorAll(\"#edges tbody tr[data-source='unknown']\").length > 0",
            null, new PageWaitForFunctionOptions { Timeout = (float)Patience.TotalMilliseconds });
        await dashboard.ScreenshotAsync("dashboard-mtls-migration-foo.png");

        // Before STRICT, the legacy client's edge panel: plaintext, no client principal, PERMISSIVE by the mesh default.
        await plaintext.First.ClickAsync();
        await Expect(Detail(page, "security")).ToHaveTextAsync("plaintext");
        await Expect(Detail(page, "source-principal")).ToContainTextAsync("unknown");
        await Expect(Detail(page, "decided-by")).ToContainTextAsync("PERMISSIVE");

        // STRICT in foo: the legacy client is reset before HTTP. Over the last minute its plaintext edge goes
        // quiet (no new requests) while a refused edge from unknown, with its address, shows it still knocking.
        await mesh.MustAsync("apply", "-n", "foo", "-f", MeshFixture.Sample("mtls-migration/mtls-ns.yaml"));
        var refused = await mesh.CurlUntilAsync("legacy", Httpbin, "000", Patience);
        Assert.Equal(("000", 56), (refused.Code, refused.ExitCode));
        Assert.Equal("200", (await mesh.CurlAsync("foo", Httpbin)).Code);
        var legacyAddress = LegacyClientAddress();
        await page.SelectOptionAsync("#window", "1m");
        var refusedSelector = $"#edges tbody tr[data-refused='true'][data-address='{legacyAddress}']";
        var afterStrict = $$"""
            () => document.querySelectorAll("#edges tbody tr[data-source='unknown'][data-refused='false']").length === 0
              && document.querySelectorAll("{{refusedSelector}}").length > 0
              && document.querySelectorAll("#edges tbody tr[data-source='workload:foo/sleep']").length > 0
            """;
        // A minute of samples must pass before the plaintext requests leave the window; both clients keep calling.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(240);
        while (!await page.EvaluateAsync<bool>(afterStrict) && DateTime.UtcNow < deadline)
        {
            await mesh.CurlAsync("legacy", Httpbin);
            await mesh.CurlAsync("foo", Httpbin);
            await Task.Delay(2000);
        }
        await dashboard.ScreenshotAsync("dashboard-mtls-migration-strict.png");
        Assert.True(await page.EvaluateAsync<bool>(afterStrict), $"legacy client at {legacyAddress}:\n{await page.InnerTextAsync("#edges")}");
        var refusedRow = page.Locator(refusedSelector).First;
        Assert.Equal("workload:foo/httpbin", await refusedRow.GetAttributeAsync("data-target"));
        Assert.Contains("plaintext_on_strict", await refusedRow.InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.EvaluateAsync<bool>(
            "address => window.meshworkGraphEdges.edges().some(e => e.refused && e.source === 'unknown' && e.label.includes(address))",
            legacyAddress));
        await WaitForDrawnAsync(page, "unknown", "true", "refused");

        // The refused edge's panel: who knocked, and the PeerAuthentication that made the port STRICT.
        await refusedRow.ClickAsync();
        await Expect(Detail(page, "refused")).ToContainTextAsync($"from {legacyAddress} (plaintext_on_strict)");
        await Expect(Detail(page, "decided-by")).ToContainTextAsync("STRICT — decided by PeerAuthentication foo/default (namespace-wide)");

        // The mTLS edge's panel, opened by clicking the edge where the graph drew it: both principals, and the deciding
        // PeerAuthentication for the port it reaches.
        await ClickEdgeUntilAsync(page, "workload:foo/sleep");
        await Expect(Detail(page, "security")).ToContainTextAsync("mTLS");
        await Expect(Detail(page, "source-principal")).ToHaveTextAsync("spiffe://cluster.local/ns/foo/sa/sleep");
        await Expect(Detail(page, "destination-principal")).ToHaveTextAsync("spiffe://cluster.local/ns/foo/sa/httpbin");
        await Expect(Detail(page, "port-8080")).ToHaveTextAsync("STRICT — PeerAuthentication foo/default (namespace-wide)");
        await Expect(Detail(page, "destination-rule")).ToContainTextAsync("auto mTLS");
        await dashboard.ScreenshotAsync("dashboard-mtls-migration-edge.png");

        // Edge labels are drawn by the edge layer only while readable: sleep's edge is labelled at this small graph's zoom,
        // unlabelled once the graph is zoomed out to where its 11 px text would be under 8 px on screen, and labelled again
        // at the zoom the user had.
        const string SleepEdgeLabelled = """
            labelled => {
              const edge = window.meshworkGraphEdges.edges().find(e => e.source === 'workload:foo/sleep' && !e.refused);
              return edge !== undefined && window.meshworkGraphEdges.drawnEdge(edge.id)?.labelled === labelled;
            }
            """;
        var waitLabel = new PageWaitForFunctionOptions { Timeout = (float)Patience.TotalMilliseconds };
        await page.WaitForFunctionAsync(SleepEdgeLabelled, true, waitLabel);
        var zoom = await page.EvaluateAsync<double>("() => window.meshworkGraph.zoom()");
        // In braces: the page returns nothing, not Cytoscape's core object (whose serialization crashes the renderer).
        await page.EvaluateAsync("() => { window.meshworkGraph.zoom(0.5); }");
        await page.WaitForFunctionAsync(SleepEdgeLabelled, false, waitLabel);
        await page.EvaluateAsync("zoom => { window.meshworkGraph.zoom(zoom); }", zoom);
        await page.WaitForFunctionAsync(SleepEdgeLabelled, true, waitLabel);

        // httpbin's workload page, opened by clicking its node in the drawn graph: the certificate its sidecar holds.
        var held = SidecarLeaf("foo", "httpbin");
        await ClickNodeUntilAsync(page, "workload:foo/httpbin", "httpbin.foo");
        await Expect(Detail(page, "spiffe-id")).ToHaveTextAsync("spiffe://cluster.local/ns/foo/sa/httpbin");
        await Expect(Detail(page, "sidecar")).ToHaveTextAsync("yes");
        await Expect(Detail(page, "issuer")).ToHaveTextAsync(held.Issuer);
        await Expect(Detail(page, "expiry")).ToHaveTextAsync(
            held.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        await Expect(Detail(page, "port-8080")).ToHaveTextAsync("STRICT — PeerAuthentication foo/default (namespace-wide)");
        await dashboard.ScreenshotAsync("dashboard-mtls-migration-workload.png");
    }

    /// <summary>The value cell of the details panel's row <paramref name="key"/>.</summary>
    private static ILocator Detail(IPage page, string key) => page.Locator($"#details tr[data-key='{key}'] td").First;

    /// <summary>
    /// The address the legacy client's connections reach httpbin's sidecar from, as that sidecar records it. In loopback
    /// mode the client talks through its namespace's network proxy (its http_proxy), which connects from its own
    /// address; in the pod network mode the client connects itself, from its pod IP.
    /// </summary>
    private string LegacyClientAddress()
    {
        var pod = mesh.Pods("legacy").Single(p => p.Deployment == "sleep" && !p.Terminating);
        if (Mw.PodNetwork != "loopback") return pod.PodIp;
        var proxy = pod.DefaultContainer?.Environment.GetValueOrDefault("http_proxy");
        Assert.False(string.IsNullOrEmpty(proxy), "the legacy client has no http_proxy in loopback mode");
        return new Uri(proxy).Host;
    }

    /// <summary>The leaf certificate the sidecar of <paramref name="deployment"/> holds in its pod's certificate directory.</summary>
    private X509Certificate2 SidecarLeaf(string @namespace, string deployment)
    {
        var pod = mesh.Pods(@namespace).Single(p => p.Deployment == deployment && !p.Terminating);
        var directory = pod.Containers.Select(c => c.Environment.GetValueOrDefault(ProxyEnvironment.CertDirectory)).Single(d => d is not null);
        return X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(directory!, "cert-chain.pem")));
    }

    /// <summary>
    /// Waits until the graph has edges from <paramref name="source"/> (refused or not) and the edge layer drew every one
    /// of them in <paramref name="style"/> (mtls, plaintext or refused); the layer draws in the frame after a refresh.
    /// </summary>
    private static async Task WaitForDrawnAsync(IPage page, string source, string refused, string style)
    {
        const string Drawn = """
            ([source, refused, style]) => {
              const edges = window.meshworkGraphEdges.edges().filter(e => e.source === source && String(e.refused) === refused);
              return edges.length > 0 && edges.every(e => window.meshworkGraphEdges.drawnEdge(e.id)?.style === style);
            }
            """;
        await page.WaitForFunctionAsync(Drawn, new[] { source, refused, style }, new PageWaitForFunctionOptions { Timeout = (float)Patience.TotalMilliseconds });
    }

    /// <summary>
    /// Clicks the middle of the drawn traffic edge from <paramref name="source"/> until the details panel opens on it: the
    /// page redraws the graph every few seconds, and a redraw between reading the position and clicking may move it.
    /// </summary>
    private static async Task ClickEdgeUntilAsync(IPage page, string source)
    {
        var heading = page.Locator("#details h2");
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var at = await page.EvaluateAsync<double[]>("""
                source => {
                  const edge = window.meshworkGraphEdges.edges().filter(e => e.source === source && !e.refused)[0];
                  const drawn = edge && window.meshworkGraphEdges.drawnEdge(edge.id);
                  const box = document.getElementById('graph').getBoundingClientRect();
                  return drawn ? [box.left + drawn.x, box.top + drawn.y] : [];
                }
                """, source);
            if (at.Length == 2) await page.Mouse.ClickAsync((float)at[0], (float)at[1]);
            try
            {
                await Expect(heading).ToHaveTextAsync(new Regex($"^{Regex.Escape(source)} → "), new LocatorAssertionsToHaveTextOptions { Timeout = 5000 });
                return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    /// <summary>
    /// Clicks the node's drawn position until the details panel opens on <paramref name="title"/>: the page redraws the
    /// graph every few seconds, and a redraw between reading the position and clicking may move the node.
    /// </summary>
    private static async Task ClickNodeUntilAsync(IPage page, string id, string title)
    {
        var heading = page.Locator("#details h2");
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var at = await page.EvaluateAsync<double[]>("""
                id => {
                  const node = window.meshworkGraph.getElementById(id);
                  const box = document.getElementById('graph').getBoundingClientRect();
                  return [box.left + node.renderedPosition('x'), box.top + node.renderedPosition('y')];
                }
                """, id);
            await page.Mouse.ClickAsync((float)at[0], (float)at[1]);
            try
            {
                await Expect(heading).ToHaveTextAsync(title, new LocatorAssertionsToHaveTextOptions { Timeout = 5000 });
                return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }
}

using System.Diagnostics;
using Microsoft.Playwright;

/// <summary>
/// The dashboard in Debian's chromium, driven by Playwright as the browser tests drive it, timed as a user waits for it:
/// load is from opening the one-time login link to the graph and its edge table drawn with every edge (the page fills the
/// table a task after the graph's first frame, so a load ends when the table is filled and the next frame painted); update is one
/// of the page's own refreshes (api/graph fetched, graph laid out and table rebuilt) until the next frame is painted.
/// </summary>
internal sealed class DashboardTimings : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private DashboardTimings(IPlaywright playwright, IBrowser browser) => (_playwright, _browser) = (playwright, browser);

    public static async Task<DashboardTimings> LaunchAsync()
    {
        if (!File.Exists(Chromium)) throw new FileNotFoundException($"{Chromium} is missing: apt-get install chromium", Chromium);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return new DashboardTimings(playwright, browser);
    }

    /// <summary>
    /// Opens <paramref name="login"/> in a fresh browser context showing <paramref name="variant"/>'s page; returns the milliseconds until all <paramref name="edges"/> are
    /// drawn and the next frame is painted, the browser's CPU seconds meanwhile (<see cref="BrowserCpu"/>), where they went, and the page.
    /// </summary>
    public async Task<(double Milliseconds, double CpuSeconds, LoadSplit Split, IPage Page)> LoadAsync(Uri login, int edges, PageVariant variant, bool profile = false, bool trace = false)
    {
        // The control plane's certificate chains to the mesh's own root, which the browser does not know.
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true, ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        await variant.ApplyAsync(context);
        var page = await context.NewPageAsync();
        // A page that throws never draws its edges: say why before the wait runs out.
        page.PageError += (_, error) => Console.Error.WriteLine($"{variant.Name}: page error: {error}");
        var profiler = profile ? await BrowserProfile.StartAsync(page) : null;
        var tracer = trace ? await BrowserTrace.StartAsync(_browser) : null;
        var cpu = BrowserCpu.Seconds();
        var started = Stopwatch.GetTimestamp();
        await page.GotoAsync(login.ToString());
        await page.WaitForFunctionAsync($"() => document.body.dataset.edges === '{edges}' && document.querySelectorAll('#edges tbody tr').length === {edges}",
            null, new PageWaitForFunctionOptions { Timeout = (float)Patience.TotalMilliseconds, PollingInterval = 10 });
        var split = await LoadSplit.ReadAsync(page);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        cpu = BrowserCpu.Seconds() - cpu;
        if (profiler is not null) await profiler.StopAsync($"load ({elapsed:F0} ms)");
        if (tracer is not null) await tracer.StopAsync($"{variant.Name}: load ({elapsed:F0} ms)");
        return (elapsed, cpu, split, page);
    }

    /// <summary>The milliseconds one of the page's refreshes takes, from its request to the painted frame, and the part that is the fetch.</summary>
    public static async Task<(double Refresh, double Fetch)> UpdateAsync(IPage page)
    {
        var refresh = await page.EvaluateAsync<double>($$"""
            async () => {
              const started = performance.now();
              await refresh();
              await ({{NextFrame}})();
              return performance.now() - started;
            }
            """);
        var fetch = await page.EvaluateAsync<double>("""
            async () => {
              const started = performance.now();
              await (await fetch(`api/graph?window=${document.getElementById('window').value}`, { credentials: 'same-origin' })).json();
              return performance.now() - started;
            }
            """);
        return (refresh, fetch);
    }

    /// <summary>Resolves once the browser has painted the frame after the current one.</summary>
    private const string NextFrame = "() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))";

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

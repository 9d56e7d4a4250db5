using System.Text.RegularExpressions;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Meshwork.EndToEnd.Tests.Observability;

/// <summary>
/// Debian's chromium driven by Playwright, logged in to a mesh's dashboard through the one-time link that
/// `meshwork dash kiali` prints, as the tutorials open Kiali. Screenshots go to screenshots/ beside the test assembly.
/// </summary>
internal sealed class DashboardBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>How long a page waits for what the control plane's scrapes and the page's own refresh bring.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly IBrowserContext _context;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page) =>
        (_playwright, _browser, _context, Page) = (playwright, browser, context, page);

    public IPage Page { get; }

    public static async Task<DashboardBrowser> OpenAsync(MeshFixture mesh)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium");
        var printed = await mesh.MustAsync("dash", "kiali");
        var link = Regex.Match(printed.Stdout, @"https://\S+/dashboard/login\?code=\S+").Value;
        Assert.False(string.IsNullOrEmpty(link), printed.Stdout);

        // The panels fetch what they show: their assertions wait as long as the rest.
        Assertions.SetDefaultExpectTimeout((float)Patience.TotalMilliseconds);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        // The control plane's certificate chains to this mesh's own root, which the browser does not know.
        var context = await browser.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true, ViewportSize = new ViewportSize { Width = 1400, Height = 800 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync(link);
        Assert.EndsWith("/dashboard/", page.Url, StringComparison.Ordinal);
        return new DashboardBrowser(playwright, browser, context, page);
    }

    public async Task ScreenshotAsync(string name)
    {
        var directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(directory, name), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await _context.DisposeAsync();
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

using System.Text.RegularExpressions;
using Microsoft.Playwright;

/// <summary>
/// Which dashboard page a load opens: the one the control plane embeds, or the page's files from a directory (index.html
/// beside its assets, as in the source tree), served to the browser by Playwright's request routing in place of the
/// embedded ones, so that a page and a change to it are measured in the same process, runs interleaved, without
/// rebuilding the control plane. Every other request (login, api/graph, api/workload) still reaches the control plane.
/// </summary>
internal sealed record PageVariant(string Name, string? Directory)
{
    public static readonly PageVariant Embedded = new("embedded", null);

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    /// <summary>
    /// One variant per `assets=DIR` argument, named by its directory, in their order, and the embedded page as served
    /// (no request routed) first if `embedded` is among the arguments or there is no `assets=`.
    /// </summary>
    public static IReadOnlyList<PageVariant> FromArguments(IReadOnlyCollection<string> args)
    {
        List<PageVariant> variants = [.. args.Where(a => a.StartsWith("assets=", StringComparison.Ordinal))
            .Select(a => Path.GetFullPath(a["assets=".Length..]))
            .Select(d => System.IO.Directory.Exists(d) ? new PageVariant(d, d) : throw new DirectoryNotFoundException(d))];
        return variants.Count == 0 || args.Contains("embedded") ? [Embedded, .. variants] : variants;
    }

    /// <summary>Routes the page and its assets of <paramref name="context"/> to this variant's directory, if it has one.</summary>
    public async Task ApplyAsync(IBrowserContext context)
    {
        if (Directory is null) return;
        // A pattern, not a predicate: Playwright's driver matches it itself, so api/graph and the other requests reach the
        // control plane untouched, where a predicate would send every request through this process first.
        await context.RouteAsync(RoutedPaths(), async route =>
        {
            var path = new Uri(route.Request.Url).AbsolutePath;
            if (path == "/dashboard/login")
            {
                // A redirect's target is not routed: the login is fetched here (its session cookie lands in the context's
                // jar), and the page it leads to is answered in its place, at the login's URL (the page's URLs are relative).
                var login = await route.FetchAsync(new RouteFetchOptions { MaxRedirects = 0 });
                if (login.Status != 302)
                {
                    await route.FulfillAsync(new RouteFulfillOptions { Response = login });
                    return;
                }
                path = "/dashboard/";
            }
            var file = FileOf(path);
            if (file is null || !File.Exists(file))
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 404 });
                return;
            }
            await route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 200,
                BodyBytes = await File.ReadAllBytesAsync(file),
                ContentType = ContentTypes.GetValueOrDefault(Path.GetExtension(file), "application/octet-stream"),
                Headers = new Dictionary<string, string> { ["Cache-Control"] = "no-store" },
            });
        });
    }

    /// <summary>The login, the page and its assets (the paths <see cref="FileOf"/> maps), at any origin.</summary>
    private static Regex RoutedPaths() => new(@"^https?://[^/]+/dashboard/(login\?.*|assets/[^/?]+|)$");

    /// <summary>The file a request path under /dashboard/ maps to (the page itself or one of its assets); null for the rest.</summary>
    private string? FileOf(string path)
    {
        if (path == "/dashboard/") return Path.Combine(Directory!, "index.html");
        const string Assets = "/dashboard/assets/";
        if (!path.StartsWith(Assets, StringComparison.Ordinal)) return null;
        var name = path[Assets.Length..];
        return name.Length > 0 && !name.Contains('/', StringComparison.Ordinal) && !name.StartsWith('.') ? Path.Combine(Directory!, name) : null;
    }
}

using System.Globalization;
using Microsoft.Playwright;

/// <summary>
/// Where one load's time went, from the page's own clock (milliseconds since the login link was opened): the W3C
/// Navigation and Resource Timing entries of the page and of api/graph, and the User Timing marks graph.js sets on its
/// first load. Points are in the order a load passes them; a point the page did not reach reads as missing.
/// </summary>
internal sealed class LoadSplit
{
    private static readonly (string Name, string Point)[] Points =
    [
        ("page served (login redirect, index.html)", "nav.responseEnd"),
        ("scripts run (Cytoscape parsed, graph.js started)", "nav.domContentLoadedEventStart"),
        ("api/graph requested", "api ? api.startTime : -1"),
        ("api/graph received", "api ? api.responseEnd : -1"),
        ("api/graph parsed", "mark('graph-parsed')"),
        ("graph elements added (layout, styles)", "mark('graph-elements')"),
        ("graph painted (Cytoscape's first frame)", "mark('graph-painted')"),
        ("edge table filled (a task after that frame)", "mark('table')"),
        ("next frame painted", "now"),
    ];

    private static readonly string Script = $$"""
        () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => {
          const now = performance.now();
          const nav = performance.getEntriesByType('navigation')[0];
          const api = performance.getEntriesByType('resource').find((r) => new URL(r.name).pathname.endsWith('/api/graph'));
          const mark = (name) => (performance.getEntriesByName(`meshwork:${name}`)[0] || { startTime: -1 }).startTime;
          resolve([{{string.Join(", ", Points.Select(p => p.Point))}}]);
        })))
        """;

    private readonly double[] _at;

    private LoadSplit(double[] at) => _at = at;

    /// <summary>Reads the split once the load is done (the page's graph and table drawn), after the next painted frame.</summary>
    public static async Task<LoadSplit> ReadAsync(IPage page) => new(await page.EvaluateAsync<double[]>(Script));

    /// <summary>The median time of each point over <paramref name="splits"/>, and the step from the point before it.</summary>
    public static void Print(IReadOnlyList<LoadSplit> splits)
    {
        Console.WriteLine();
        Console.WriteLine($"| where a load's time went (median of {splits.Count}) | at | step |");
        Console.WriteLine("|---|---:|---:|");
        var before = 0.0;
        for (var i = 0; i < Points.Length; i++)
        {
            var reached = splits.Select(s => s._at[i]).Where(ms => ms >= 0).Order().ToList();
            if (reached.Count == 0)
            {
                Console.WriteLine($"| {Points[i].Name} | not reached | |");
                continue;
            }
            var at = reached[reached.Count / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {Points[i].Name} | {at:F0} ms | {at - before:+0;-0} ms |"));
            before = at;
        }
    }
}

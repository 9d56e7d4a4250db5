using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

/// <summary>
/// Where a page's milliseconds went, from Chromium itself over the DevTools protocol: the renderer's own counters
/// (<c>Performance.getMetrics</c>: script, style, layout, whole tasks) and a sampling CPU profile (<c>Profiler</c>)
/// whose self time is summed per function, so a slow load or refresh names the code it spent its time in.
/// </summary>
internal sealed class BrowserProfile
{
    private static readonly string[] Counters = ["TaskDuration", "ScriptDuration", "RecalcStyleDuration", "LayoutDuration"];

    private static int _saved;
    private readonly ICDPSession _session;
    private Dictionary<string, double> _before = [];

    private BrowserProfile(ICDPSession session) => _session = session;

    public static async Task<BrowserProfile> StartAsync(IPage page)
    {
        var session = await page.Context.NewCDPSessionAsync(page);
        await session.SendAsync("Performance.enable");
        await session.SendAsync("Profiler.enable");
        await session.SendAsync("Profiler.setSamplingInterval", new Dictionary<string, object> { ["interval"] = 200 });
        var profile = new BrowserProfile(session);
        profile._before = await profile.CountersAsync();
        await session.SendAsync("Profiler.start");
        return profile;
    }

    /// <summary>Stops the profile and writes the counters' growth and the <paramref name="top"/> functions by self time.</summary>
    public async Task StopAsync(string title, int top = 12)
    {
        var profile = await _session.SendAsync("Profiler.stop");
        var after = await CountersAsync();
        // Saved whole too: DevTools' Performance panel opens a .cpuprofile file.
        var path = Path.Combine(Path.GetTempPath(), $"meshwork-dashboard-{Environment.ProcessId}-{++_saved}.cpuprofile");
        await File.WriteAllTextAsync(path, profile!.Value.GetProperty("profile").GetRawText());
        Console.WriteLine($"{title}: profile in {path}");
        Console.WriteLine("  renderer: " + string.Join(", ", Counters.Select(c =>
            $"{c.Replace("Duration", "", StringComparison.Ordinal).ToLowerInvariant()} {(after[c] - _before[c]) * 1000:F0} ms")));
        foreach (var (function, ms) in SelfTimes(profile!.Value.GetProperty("profile")).OrderByDescending(f => f.Value).Take(top))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {ms,7:F0} ms  {function}"));
        }
        await _session.DetachAsync();
    }

    private async Task<Dictionary<string, double>> CountersAsync()
    {
        var metrics = await _session.SendAsync("Performance.getMetrics");
        return metrics!.Value.GetProperty("metrics").EnumerateArray()
            .ToDictionary(m => m.GetProperty("name").GetString()!, m => m.GetProperty("value").GetDouble());
    }

    /// <summary>Milliseconds per function (name, script and line): each sample charges the interval before it to the node it hit.</summary>
    private static Dictionary<string, double> SelfTimes(JsonElement profile)
    {
        var names = new Dictionary<int, string>();
        foreach (var node in profile.GetProperty("nodes").EnumerateArray())
        {
            var frame = node.GetProperty("callFrame");
            var function = frame.GetProperty("functionName").GetString() is { Length: > 0 } name ? name : "(anonymous)";
            var url = frame.GetProperty("url").GetString() ?? "";
            var script = url.Length > 0 ? $" {url[(url.LastIndexOf('/') + 1)..]}:{frame.GetProperty("lineNumber").GetInt32() + 1}" : "";
            names[node.GetProperty("id").GetInt32()] = function + script;
        }
        var times = new Dictionary<string, double>();
        var samples = profile.GetProperty("samples").EnumerateArray().Select(s => s.GetInt32()).ToArray();
        var deltas = profile.GetProperty("timeDeltas").EnumerateArray().Select(d => d.GetInt64()).ToArray();
        for (var i = 1; i < samples.Length; i++)
        {
            var function = names[samples[i]];
            times[function] = times.GetValueOrDefault(function) + deltas[i] / 1000.0;
        }
        return times;
    }
}

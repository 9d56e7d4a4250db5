using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

/// <summary>
/// A Chromium trace of one load with the paint, raster, compositor and GPU categories (DevTools' Performance panel
/// records the same), summed per thread and per event, with the moments frames were drawn: whether a load's first frames
/// go to the renderer's main thread (script, style, layout, paint records), its raster threads or the compositor.
/// The whole trace is saved too, for chrome://tracing or DevTools.
/// </summary>
internal sealed class BrowserTrace
{
    private static readonly string[] Categories =
    [
        "devtools.timeline", "disabled-by-default-devtools.timeline", "disabled-by-default-devtools.timeline.frame",
        "blink", "cc", "gpu", "viz", "benchmark", "toplevel", "v8", "loading",
    ];

    // Frame milestones worth a line each: when the renderer painted, and when the compositor drew a frame.
    private static readonly HashSet<string> Milestones = new(StringComparer.Ordinal) { "Paint", "DrawFrame", "Commit", "CompositeLayers" };

    private readonly ICDPSession _session;
    private readonly List<JsonElement> _events = [];
    private readonly TaskCompletionSource _complete = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BrowserTrace(ICDPSession session) => _session = session;

    public static async Task<BrowserTrace> StartAsync(IBrowser browser)
    {
        var trace = new BrowserTrace(await browser.NewBrowserCDPSessionAsync());
        trace._session.Event("Tracing.dataCollected").OnEvent += (_, data) =>
        {
            lock (trace._events) trace._events.AddRange(data!.Value.GetProperty("value").EnumerateArray().Select(e => e.Clone()));
        };
        trace._session.Event("Tracing.tracingComplete").OnEvent += (_, _) => trace._complete.TrySetResult();
        await trace._session.SendAsync("Tracing.start", new Dictionary<string, object>
        {
            ["transferMode"] = "ReportEvents",
            ["traceConfig"] = new Dictionary<string, object> { ["includedCategories"] = Categories },
        });
        return trace;
    }

    /// <summary>Stops the trace and writes, per thread, the busiest events (time inside them, nested events included).</summary>
    public async Task StopAsync(string title, int top = 8)
    {
        await _session.SendAsync("Tracing.end");
        await _complete.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await _session.DetachAsync();
        List<JsonElement> events;
        lock (_events) events = [.. _events];
        var path = Path.Combine(Path.GetTempPath(), $"meshwork-dashboard-trace-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { traceEvents = events }));
        var threads = new Dictionary<(int, int), string>();
        var times = new Dictionary<(int, int), Dictionary<string, (double Ms, int Count)>>();
        var open = new Dictionary<(int, int), Stack<(string, double)>>();
        var milestones = new List<(double At, string Thread, string Name, double Ms)>();
        double? origin = null;
        foreach (var e in events)
        {
            var phase = e.GetProperty("ph").GetString();
            var key = (e.TryGetProperty("pid", out var pid) ? pid.GetInt32() : 0, e.TryGetProperty("tid", out var tid) ? tid.GetInt32() : 0);
            var name = e.GetProperty("name").GetString()!;
            if (phase == "M" && name == "thread_name") threads[key] = e.GetProperty("args").GetProperty("name").GetString()!;
            if (!e.TryGetProperty("ts", out var tsElement)) continue;
            var ts = tsElement.GetDouble() / 1000;
            if (name == "navigationStart" && origin is null) origin = ts;
            double? ms = phase switch
            {
                "X" => e.TryGetProperty("dur", out var dur) ? dur.GetDouble() / 1000 : 0,
                "E" => open.TryGetValue(key, out var stack) && stack.Count > 0 ? ts - stack.Pop().Item2 : null,
                _ => null,
            };
            if (phase == "B") (open.TryGetValue(key, out var s) ? s : open[key] = new()).Push((name, ts));
            if (ms is null) continue;
            var byName = times.TryGetValue(key, out var t) ? t : times[key] = new(StringComparer.Ordinal);
            var (sum, count) = byName.GetValueOrDefault(name);
            byName[name] = (sum + ms.Value, count + 1);
            if (Milestones.Contains(name)) milestones.Add((ts - (phase == "E" ? ms.Value : 0), ThreadName(threads, key), name, ms.Value));
        }
        Console.WriteLine($"{title}: trace in {path}");
        foreach (var (key, byName) in times.OrderByDescending(t => t.Value.Values.Max(v => v.Ms)).Take(6))
        {
            Console.WriteLine($"  {ThreadName(threads, key)}:");
            foreach (var (name, (ms, count)) in byName.OrderByDescending(n => n.Value.Ms).Take(top))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {ms,7:F0} ms  {count,5}×  {name}"));
            }
        }
        Console.WriteLine("  frames (ms since navigation start, thread, event, duration):");
        foreach (var (at, thread, name, ms) in milestones.Where(m => m.Ms >= 1).OrderBy(m => m.At).Take(40))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {at - (origin ?? 0),7:F0}  {thread}  {name}  {ms:F0} ms"));
        }
    }

    private static string ThreadName(Dictionary<(int, int), string> threads, (int Pid, int Tid) key) =>
        $"{threads.GetValueOrDefault(key, "thread")} ({key.Pid}/{key.Tid})";
}

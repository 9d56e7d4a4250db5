using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Meshwork.ControlPlane.Observability;

// The dashboard's server side at scale, in process, on SyntheticTraffic's mesh: 200 workloads and 1,000 graph edges.
//   update: one scrape round parsed (200 expositions into counters) and the graph recomputed over the window
//           from the ring (each proxy's series read at the window's ends), then serialised as the dashboard's api/graph answer;
//   load:   the same answer over the longest window (Last 1h, 721 samples).
// Writes the answer to the path given (default graph-200x1000.json) for bench/graph-load.mjs, which times
// the page's drawing (Cytoscape add + breadthfirst layout) on it. Prints medians of the runs.
//
//   dotnet run -c Release --project bench/Meshwork.GraphBench [-- out.json [runs]]
const int Workloads = SyntheticTraffic.Workloads;
var output = args.Length > 0 ? args[0] : "graph-200x1000.json";
var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
string Name(int i) => SyntheticTraffic.Name(i);
string Ns(int i) => SyntheticTraffic.Namespace(i);
string Exposition(int destination, long tick) => SyntheticTraffic.Exposition(destination, tick);

TrafficSample Scrape(long tick, DateTimeOffset at, string[]? texts = null) => new(at,
    Enumerable.Range(0, Workloads).ToImmutableDictionary(d => $"{Name(d)}.{Ns(d)}", d => RequestCounters.Parse(texts?[d] ?? Exposition(d, tick))));

var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
var ring = new TrafficRing(721);
for (var s = 0; s < 721; s++) ring.Add(Scrape(s * 5, t0.AddSeconds(s * 5)));
var now = t0.AddSeconds(720 * 5);

var check = TrafficGraph.Over(ring.Window(now.AddMinutes(-10)), null)!;
Console.WriteLine($"graph: {check.Nodes.Length} nodes, {check.Edges.Length} edges");
File.WriteAllBytes(output, JsonSerializer.SerializeToUtf8Bytes(check, TrafficGraphJson.Default.TrafficGraph));

var scrapeTexts = Enumerable.Range(0, Workloads).Select(d => Exposition(d, 721 * 5)).ToArray();
double Median(Func<long> run)
{
    var times = new List<double>();
    for (var i = 0; i < runs; i++)
    {
        var started = Stopwatch.GetTimestamp();
        GC.KeepAlive(run());
        times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
    times.Sort();
    return times[times.Count / 2];
}

var parse = Median(() => Scrape(721 * 5, now, scrapeTexts).ByProxy.Count);
var update = Median(() => JsonSerializer.SerializeToUtf8Bytes(TrafficGraph.Over(ring.Window(now.AddMinutes(-10)), null)!, TrafficGraphJson.Default.TrafficGraph).LongLength);
var load = Median(() => JsonSerializer.SerializeToUtf8Bytes(TrafficGraph.Over(ring.Window(now.AddHours(-1)), null)!, TrafficGraphJson.Default.TrafficGraph).LongLength);
Console.WriteLine($"scrape round parsed (200 expositions, {scrapeTexts.Sum(t => t.Length) / 1024} KiB): {parse:F1} ms median of {runs}");
Console.WriteLine($"graph update, Last 10m (121 samples) → JSON: {update:F1} ms median of {runs}");
Console.WriteLine($"graph load, Last 1h (721 samples) → JSON: {load:F1} ms median of {runs}");

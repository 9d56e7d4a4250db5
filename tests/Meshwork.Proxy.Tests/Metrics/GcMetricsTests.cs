using System.Globalization;
using System.Text;
using Meshwork.Proxy.Metrics;

namespace Meshwork.Proxy.Tests.Metrics;

/// <summary>The collector's collections and pauses on the Prometheus page: what it adds to a request's latency.</summary>
public sealed class GcMetricsTests
{
    private static double Value(ProxyMetrics metrics, string series)
    {
        var text = new StringBuilder();
        metrics.WritePrometheus(text);
        var line = Assert.Single(text.ToString().Split('\n'), l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_full_collection_counts_for_every_generation_and_its_pause_adds_to_the_total()
    {
        var metrics = new ProxyMetrics();
        var before = Enumerable.Range(0, 3).Select(g => Value(metrics, $"meshwork_gc_collections_total{{generation=\"{g}\"}}")).ToArray();
        var pausedBefore = Value(metrics, "meshwork_gc_pause_seconds_total");

        GC.Collect(2, GCCollectionMode.Forced, blocking: true);

        for (var g = 0; g < 3; g++)
            Assert.True(Value(metrics, $"meshwork_gc_collections_total{{generation=\"{g}\"}}") > before[g], $"generation {g} did not count the collection");
        Assert.True(Value(metrics, "meshwork_gc_pause_seconds_total") > pausedBefore, "the collection's pause was not added");
    }
}

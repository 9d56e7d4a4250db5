using System.Globalization;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Reliability.Tests.Support;

/// <summary>Counters as an operator reads them: from the sidecar's admin /stats/prometheus.</summary>
public static class ProxyStats
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>meshwork_downstream_refused_total{listener="inbound",reason=…}, 0 when the series does not exist yet.</summary>
    public static async Task<long> RefusedAsync(Pod pod, string reason, string listener = "inbound")
    {
        var text = await Http.GetStringAsync(new Uri(pod.Admin, "stats/prometheus"));
        var prefix = $"meshwork_downstream_refused_total{{listener=\"{listener}\",reason=\"{reason}\"}} ";
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>Waits (bounded) until the refusal counter reaches <paramref name="atLeast"/>; returns the last value read.</summary>
    public static async Task<long> RefusedAtLeastAsync(Pod pod, string reason, long atLeast, int seconds = 60, string listener = "inbound")
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await RefusedAsync(pod, reason, listener);
            if (value >= atLeast || DateTime.UtcNow > deadline) return value;
            await Task.Delay(200);
        }
    }
}

using System.Globalization;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Reliability.Tests.Support;

/// <summary>Counters as an operator reads them: from the sidecar's admin /stats/prometheus.</summary>
public static class ProxyStats
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>The handshake failures' reasons together ("tls_untrusted_chain", "tls_no_client_certificate", …).</summary>
    public const string AnyHandshakeFailure = "tls_*";

    /// <summary>
    /// meshwork_refused_connections_total for <paramref name="reason"/> (a trailing * matches a prefix), all sources and
    /// ports summed; 0 when no such series exists yet.
    /// </summary>
    public static async Task<long> RefusedAsync(Pod pod, string reason)
    {
        var text = await Http.GetStringAsync(new Uri(pod.Admin, "stats/prometheus"));
        var label = reason.EndsWith('*') ? $"reason=\"{reason[..^1]}" : $"reason=\"{reason}\"";
        return text.Split('\n')
            .Where(l => l.StartsWith("meshwork_refused_connections_total{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>Waits (bounded) until the refusal counter reaches <paramref name="atLeast"/>; returns the last value read.</summary>
    public static async Task<long> RefusedAtLeastAsync(Pod pod, string reason, long atLeast, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var value = await RefusedAsync(pod, reason);
            if (value >= atLeast || DateTime.UtcNow > deadline) return value;
            await Task.Delay(200);
        }
    }
}

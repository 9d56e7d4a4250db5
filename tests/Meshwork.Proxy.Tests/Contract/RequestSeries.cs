using System.Text;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>One istio_requests_total series from a sidecar's admin /stats/prometheus: its labels and its count.</summary>
public sealed record RequestSeries(IReadOnlyDictionary<string, string> Labels, double Count)
{
    /// <summary>
    /// Each read on a connection of its own, closed by this side: a sidecar killed after a test leaves no connection on
    /// its metrics port that would keep the next sidecar of the same pod from binding it.
    /// </summary>
    private static readonly HttpClient Admin = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(30) };

    public string this[string label] => Labels.TryGetValue(label, out var v) ? v : "(absent)";

    /// <summary>The series of <paramref name="reporter"/> once one matches <paramref name="wanted"/>; null if none does within a minute.</summary>
    public static async Task<RequestSeries?> WaitForAsync(Uri admin, string reporter, Func<RequestSeries, bool> wanted, string metric = "istio_requests_total")
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var text = await Admin.GetStringAsync(new Uri(admin, "stats/prometheus"));
            var found = Parse(text, metric).FirstOrDefault(s => s["reporter"] == reporter && wanted(s));
            if (found is not null || DateTime.UtcNow > deadline) return found;
            await Task.Delay(100);
        }
    }

    /// <summary>All lines of <paramref name="metric"/> in a Prometheus text exposition (labels unescaped as the format defines).</summary>
    public static IEnumerable<RequestSeries> Parse(string exposition, string metric = "istio_requests_total")
    {
        var Name = metric + "{";
        foreach (var line in exposition.Split('\n'))
        {
            if (!line.StartsWith(Name, StringComparison.Ordinal)) continue;
            var labels = new Dictionary<string, string>();
            var i = Name.Length;
            while (line[i] != '}')
            {
                var eq = line.IndexOf('=', i);
                var name = line[i..eq];
                var value = new StringBuilder();
                for (i = eq + 2; line[i] != '"'; i++)
                {
                    if (line[i] == '\\') { i++; value.Append(line[i] == 'n' ? '\n' : line[i]); }
                    else value.Append(line[i]);
                }
                labels[name] = value.ToString();
                i++;
                if (line[i] == ',') i++;
            }
            yield return new RequestSeries(labels, double.Parse(line[(i + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}

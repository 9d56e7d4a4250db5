using System.Diagnostics;

/// <summary>
/// Where the time of a reconnect storm goes: how every attempt to open a stream ended and how long
/// its answer took, and a timeline of attempts, refusals, first lines and ACKs, so that time spent
/// waiting (a refusal's wait, a backoff) shows apart from time spent working.
/// </summary>
internal static class RestartReport
{
    public static void Print(IReadOnlyList<ProxyRestart> proxies, long started)
    {
        double Ms(long at) => Stopwatch.GetElapsedTime(started, at).TotalMilliseconds;
        var attempts = proxies.SelectMany(p => p.Attempts).ToList();
        Console.WriteLine($"restart attempts: {attempts.Count} for {proxies.Count} proxies");
        foreach (var group in attempts.GroupBy(a => a.Outcome).OrderByDescending(g => g.Count()))
        {
            var answered = group.Select(a => Stopwatch.GetElapsedTime(a.Started, a.Ended).TotalMilliseconds).ToList();
            Console.WriteLine($"  {group.Key,-40} {group.Count(),6}  answered after median {RoundStats.Percentile(answered, 0.5):F0} ms, max {answered.Max():F0} ms");
        }
        var acked = proxies.Select(p => p.AckedAt).ToList();
        var end = acked.Select(Ms).DefaultIfEmpty(0).Max();
        var bucket = Math.Max(1000, Math.Ceiling(end / 15 / 1000) * 1000);
        Console.WriteLine($"restart timeline ({bucket / 1000:F0} s buckets): attempts sent / admitted / refused / first lines / ACKed");
        for (var from = 0.0; from <= end; from += bucket)
        {
            bool In(double ms) => ms >= from && ms < from + bucket;
            Console.WriteLine($"  {from / 1000,5:F0} s  {attempts.Count(a => In(Ms(a.Started))),5} / {attempts.Count(a => a.Outcome == Attempt.Admitted && In(Ms(a.Ended))),5} / "
                + $"{attempts.Count(a => a.Outcome != Attempt.Admitted && In(Ms(a.Ended))),5} / {proxies.Count(p => p.FirstLineAt != 0 && In(Ms(p.FirstLineAt))),5} / {acked.Count(t => In(Ms(t))),5}");
        }
    }
}

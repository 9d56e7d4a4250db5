using System.Globalization;

/// <summary>
/// CPU seconds (user + system) spent by the processes this benchmark started, not by itself: Playwright's driver and the
/// chromium processes (browser, renderer, GPU and network services), from <c>/proc/PID/stat</c> (proc(5): utime and
/// stime, fields 14 and 15, in clock ticks). On a box shared with other work, a load's CPU seconds say what the page cost
/// where its wall time mostly says how busy the box was.
/// </summary>
internal static class BrowserCpu
{
    // sysconf(_SC_CLK_TCK) is 100 on Linux for every architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>The CPU seconds of every live descendant of this process.</summary>
    public static double Seconds()
    {
        var stats = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string stat;
            try { stat = File.ReadAllText(Path.Combine(directory, "stat")); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            // The command name, field 2, is in parentheses and may hold spaces: the fields after it follow its last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            stats[pid] = (int.Parse(fields[1], CultureInfo.InvariantCulture),
                long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
        }
        var self = Environment.ProcessId;
        var ticks = 0L;
        foreach (var (pid, (_, own)) in stats)
        {
            // A descendant: some ancestor up its parent chain is this process.
            for (var parent = stats[pid].Parent; stats.TryGetValue(parent, out var up); parent = up.Parent)
            {
                if (parent != self) continue;
                ticks += own;
                break;
            }
        }
        return ticks / TicksPerSecond;
    }
}

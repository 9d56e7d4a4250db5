using System.Collections.Concurrent;

namespace Meshwork.Proxy.Inbound.Protection;

/// <summary>
/// At most a few log lines per kind of event in each window: ten thousand hostile connections become a handful
/// of lines that say how many more there were, not ten thousand lines (the counters keep the exact number).
/// </summary>
internal sealed class LogRateLimit(TimeProvider time, int linesPerWindow, TimeSpan window)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>
    /// True when this event may be logged; <paramref name="suppressed"/> is then how many of its kind were not
    /// logged since the last line that was.
    /// </summary>
    public bool TryAcquire(string kind, out long suppressed)
    {
        var w = _windows.GetOrAdd(kind, static _ => new Window());
        var now = time.GetTimestamp();
        lock (w)
        {
            if (w.Lines == 0 || time.GetElapsedTime(w.Start, now) >= window)
            {
                w.Start = now;
                w.Lines = 0;
            }
            if (w.Lines < linesPerWindow)
            {
                w.Lines++;
                suppressed = w.Suppressed;
                w.Suppressed = 0;
                return true;
            }
            w.Suppressed++;
            suppressed = 0;
            return false;
        }
    }

    private sealed class Window
    {
        public long Start;
        public int Lines;
        public long Suppressed;
    }
}

namespace Meshwork.ControlPlane.Observability;

/// <summary>
/// One proxy's counters at each sample of the ring that has the proxy, oldest first, in a circular buffer: a window
/// finds its first entry by binary search on the time and its last at the end, so a window costs O(log n) per proxy
/// instead of a scan of every sample.
/// </summary>
internal sealed class ProxySeries<T>(int capacity) where T : class
{
    private readonly long[] _sequence = new long[capacity];
    private readonly DateTimeOffset[] _at = new DateTimeOffset[capacity];
    private readonly T[] _values = new T[capacity];
    private int _start;
    private int _count;

    /// <summary>The ring sequence number of the newest entry (-1 when empty).</summary>
    public long Newest => _count == 0 ? -1 : _sequence[Physical(_count - 1)];

    /// <summary>Appends the proxy's counters at sample <paramref name="sequence"/>, dropping entries older than <paramref name="oldestKept"/>.</summary>
    public void Append(long sequence, DateTimeOffset at, T value, long oldestKept)
    {
        DropBefore(oldestKept);
        if (_count == _values.Length)
        {
            // Only reached when a proxy reports more often than the ring keeps samples; the oldest goes.
            _start = (_start + 1) % _values.Length;
            _count--;
        }
        var slot = Physical(_count);
        (_sequence[slot], _at[slot], _values[slot]) = (sequence, at, value);
        _count++;
    }

    /// <summary>The counters at the first entry at or after <paramref name="since"/> and at the newest one; false when none is in the window.</summary>
    public bool TrySpan(DateTimeOffset since, long oldestKept, out T first, out T last)
    {
        first = last = null!;
        if (_count == 0 || _sequence[Physical(_count - 1)] < oldestKept) return false;
        var (low, high) = (0, _count);
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            var slot = Physical(middle);
            if (_at[slot] < since || _sequence[slot] < oldestKept) low = middle + 1;
            else high = middle;
        }
        if (low == _count) return false;
        first = _values[Physical(low)];
        last = _values[Physical(_count - 1)];
        return true;
    }

    private void DropBefore(long oldestKept)
    {
        while (_count > 0 && _sequence[_start] < oldestKept)
        {
            _values[_start] = null!;
            _start = (_start + 1) % _values.Length;
            _count--;
        }
    }

    private int Physical(int logical) => (_start + logical) % _values.Length;
}

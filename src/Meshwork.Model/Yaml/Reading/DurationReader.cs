using System.Globalization;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>
/// Istio's durations as its YAML is written: a sequence of decimal numbers, each with a unit
/// (h, m, s, ms, us, ns; "1.5s", "100ms", "1m30s"), as Go's time.ParseDuration reads them.
/// Anything else is an error that names the field.
/// </summary>
internal static class DurationReader
{
    private static readonly (string Unit, double Milliseconds)[] Units =
        [("ms", 1), ("us", 0.001), ("µs", 0.001), ("ns", 0.000001), ("h", 3_600_000), ("m", 60_000), ("s", 1000)];

    public static TimeSpan? Read(MapReader m, string key)
    {
        var text = m.String(key);
        if (text is null) return null;
        if (TryParse(text, out var value)) return value;
        m.Context.Error(m.Child(key), $"invalid duration \"{text}\"", "write a number with a unit: 500ms, 1.5s, 2m");
        return null;
    }

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var rest = text.AsSpan();
        if (rest.IsEmpty) return false;
        double total = 0;
        while (!rest.IsEmpty)
        {
            var digits = 0;
            while (digits < rest.Length && (char.IsAsciiDigit(rest[digits]) || rest[digits] == '.')) digits++;
            if (digits == 0 || !double.TryParse(rest[..digits], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)) return false;
            rest = rest[digits..];
            var matched = false;
            foreach (var (unit, ms) in Units)
            {
                if (!rest.StartsWith(unit, StringComparison.Ordinal)) continue;
                total += number * ms;
                rest = rest[unit.Length..];
                matched = true;
                break;
            }
            if (!matched) return false;
        }
        // One day bounds every request deadline Meshwork keeps; larger values are typos.
        if (total > TimeSpan.FromDays(1).TotalMilliseconds) return false;
        // To the nearest tick: 0.3 s is 299.99999999999997 ms in binary floating point, and must read as 300 ms.
        value = TimeSpan.FromTicks((long)Math.Round(total * TimeSpan.TicksPerMillisecond));
        return true;
    }
}

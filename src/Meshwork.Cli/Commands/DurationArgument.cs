using System.Globalization;
using Meshwork.Cli.Commands.Resources;

namespace Meshwork.Cli.Commands;

/// <summary>Durations as kubectl and istioctl flags take them: "72h", "30m", "1h30m", "45s", "7d".</summary>
internal static class DurationArgument
{
    /// <summary>Parses strictly: one or more NUMBER+UNIT pairs (d, h, m, s), nothing else, at most ten years.</summary>
    public static TimeSpan Parse(string value, string flag)
    {
        ArgumentNullException.ThrowIfNull(value);
        var total = TimeSpan.Zero;
        var i = 0;
        while (i < value.Length)
        {
            var start = i;
            while (i < value.Length && char.IsAsciiDigit(value[i])) i++;
            if (i == start || i == value.Length || i - start > 9) throw Invalid(value, flag);
            var number = long.Parse(value.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            total += value[i++] switch
            {
                'd' => TimeSpan.FromDays(number),
                'h' => TimeSpan.FromHours(number),
                'm' => TimeSpan.FromMinutes(number),
                's' => TimeSpan.FromSeconds(number),
                _ => throw Invalid(value, flag),
            };
            if (total > TimeSpan.FromDays(3660)) throw Invalid(value, flag);
        }
        return value.Length == 0 ? throw Invalid(value, flag) : total;
    }

    private static CliUsageException Invalid(string value, string flag) =>
        new($"invalid value \"{value}\" for {flag}: expected a duration such as 72h, 30m, 1h30m or 7d");
}

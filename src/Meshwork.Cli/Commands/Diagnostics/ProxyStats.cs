using System.Globalization;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// The series of one metric in a sidecar's Prometheus text (admin <c>/stats/prometheus</c>): labels and value. A line
/// that does not parse is skipped, never guessed at.
/// </summary>
internal static class ProxyStats
{
    public static IEnumerable<(IReadOnlyDictionary<string, string> Labels, long Value)> Series(string prometheusText, string metric)
    {
        ArgumentNullException.ThrowIfNull(prometheusText);
        var prefix = metric + "{";
        foreach (var line in prometheusText.Split('\n'))
        {
            if (!line.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var close = line.LastIndexOf('}');
            if (close < prefix.Length || !long.TryParse(line.AsSpan(close + 1).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) continue;
            yield return (Labels(line[prefix.Length..close]), value);
        }
    }

    /// <summary>name="value" pairs; the exposition format escapes only backslash, quote and newline inside values.</summary>
    private static Dictionary<string, string> Labels(string text)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < text.Length)
        {
            var eq = text.IndexOf("=\"", i, StringComparison.Ordinal);
            if (eq < 0) break;
            var name = text[i..eq].Trim(',', ' ');
            var value = new System.Text.StringBuilder();
            var j = eq + 2;
            for (; j < text.Length && text[j] != '"'; j++)
            {
                if (text[j] == '\\' && j + 1 < text.Length) j++;
                value.Append(text[j]);
            }
            labels[name] = value.ToString();
            i = j + 1;
        }
        return labels;
    }
}

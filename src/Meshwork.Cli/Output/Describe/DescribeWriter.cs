using System.Text;

namespace Meshwork.Cli.Output.Describe;

/// <summary>
/// kubectl describe's text layout: "Label:" then the value, values of consecutive fields at one
/// level aligned two spaces past the longest label (as kubectl's tab writer aligns them), nested
/// levels indented by two, a multi-line value continued under its first line.
/// </summary>
internal sealed class DescribeWriter
{
    private abstract record Line(int Level);
    private sealed record FieldLine(int Level, string Label, IReadOnlyList<string> Value) : Line(Level);
    private sealed record TextLine(int Level, string Text) : Line(Level);

    private readonly List<Line> _lines = [];

    public void Field(int level, string label, string value) => _lines.Add(new FieldLine(level, label, value.Split('\n')));

    /// <summary>A map as kubectl prints labels: <c>key=value</c> per line, or &lt;none&gt;.</summary>
    public void Map(int level, string label, IReadOnlyDictionary<string, string> map, string separator = "=") =>
        _lines.Add(new FieldLine(level, label, map.Count == 0 ? ["<none>"] : [.. map.Select(kv => $"{kv.Key}{separator}{kv.Value}")]));

    /// <summary>A title with nothing after the colon; what follows is nested under it.</summary>
    public void Section(int level, string title) => _lines.Add(new TextLine(level, title + ":"));

    /// <summary>A line printed as is (a table row).</summary>
    public void Text(int level, string text) => _lines.Add(new TextLine(level, text));

    /// <summary>Rows as a table whose columns are as wide as their widest cell plus two, the last unpadded.</summary>
    public void Table(int level, IReadOnlyList<string[]> rows)
    {
        if (rows.Count == 0) return;
        var widths = new int[rows[0].Length];
        foreach (var row in rows) for (var i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in rows)
        {
            var text = new StringBuilder();
            for (var i = 0; i < row.Length; i++) text.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            Text(level, text.ToString().TrimEnd());
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        for (var i = 0; i < _lines.Count; i++)
        {
            if (_lines[i] is TextLine t)
            {
                text.Append(' ', t.Level * 2).Append(t.Text).Append('\n');
                continue;
            }
            // The run of fields at this level that this field belongs to sets the value column.
            var start = i;
            while (start > 0 && _lines[start - 1] is FieldLine before && before.Level == _lines[i].Level) start--;
            var end = i;
            while (end + 1 < _lines.Count && _lines[end + 1] is FieldLine after && after.Level == _lines[i].Level) end++;
            var width = 0;
            for (var j = start; j <= end; j++) width = Math.Max(width, ((FieldLine)_lines[j]).Label.Length + 1);
            var field = (FieldLine)_lines[i];
            var indent = field.Level * 2;
            text.Append(' ', indent).Append((field.Label + ":").PadRight(width + 2)).Append(field.Value[0]).Append('\n');
            foreach (var more in field.Value.Skip(1)) text.Append(' ', indent + width + 2).Append(more).Append('\n');
        }
        return string.Join('\n', text.ToString().Split('\n').Select(l => l.TrimEnd()));
    }
}

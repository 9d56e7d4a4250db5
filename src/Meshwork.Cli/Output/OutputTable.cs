using System.Text;
using Meshwork.Api.Tables;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;

namespace Meshwork.Cli.Output;

/// <summary>
/// kubectl's columns for each kind (from <see cref="ResourceColumns"/>) and kubectl's table layout: columns padded to the widest cell plus three spaces.
/// </summary>
internal static class OutputTable
{
    public static IReadOnlyList<string> Header(KindInfo kind, bool wide, bool withNamespace) => ResourceColumns.Header(kind, wide, withNamespace);

    public static IReadOnlyList<string> Row(Resource resource, bool wide, bool withNamespace, ResourceColumns.RowContext context) =>
        ResourceColumns.Row(resource, wide, withNamespace, context);

    /// <summary>kubectl's tabwriter layout: each column as wide as its widest cell plus three spaces; the last column unpadded.</summary>
    public static string Format(IReadOnlyList<IReadOnlyList<string>> rows, IReadOnlyList<int>? widths = null)
    {
        var text = new StringBuilder();
        var computed = widths ?? Widths(rows);
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Count; i++)
            {
                if (i == row.Count - 1) text.Append(row[i]);
                else text.Append(row[i].PadRight(computed[i] + 3));
            }
            text.Append('\n');
        }
        return text.ToString();
    }

    public static IReadOnlyList<int> Widths(IReadOnlyList<IReadOnlyList<string>> rows)
    {
        var widths = new int[rows.Count == 0 ? 0 : rows.Max(r => r.Count)];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Count; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        }
        return widths;
    }
}

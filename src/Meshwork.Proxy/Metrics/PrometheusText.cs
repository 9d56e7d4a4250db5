using System.Text;

namespace Meshwork.Proxy.Metrics;

/// <summary>Prometheus's text exposition format, the parts written by hand.</summary>
internal static class PrometheusText
{
    /// <summary>Appends name="value" with the value escaped as the format requires: backslash, double quote and line feed.</summary>
    public static StringBuilder AppendLabel(this StringBuilder b, string name, string value)
    {
        b.Append(name).Append("=\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': b.Append("\\\\"); break;
                case '"': b.Append("\\\""); break;
                case '\n': b.Append("\\n"); break;
                default: b.Append(c); break;
            }
        }
        return b.Append('"');
    }
}

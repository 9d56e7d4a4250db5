using Meshwork.Cli.Commands.Resources;

namespace Meshwork.Cli.Output;

/// <summary>The printers of -o: a table (wide or not), JSON, YAML, names, or a jsonpath template.</summary>
internal enum OutputKind { Table, Json, Yaml, Name, Jsonpath }

/// <summary>The parsed -o value, with kubectl's words for one it does not know.</summary>
internal sealed record OutputFormat(OutputKind Kind, bool Wide, JsonpathTemplate? Template)
{
    public bool ShowLabels { get; init; }

    public static OutputFormat Parse(string? value)
    {
        if (string.IsNullOrEmpty(value)) return new(OutputKind.Table, false, null);
        if (value == "wide") return new(OutputKind.Table, true, null);
        if (value == "json") return new(OutputKind.Json, false, null);
        if (value == "yaml") return new(OutputKind.Yaml, false, null);
        if (value == "name") return new(OutputKind.Name, false, null);
        if (value.StartsWith("jsonpath=", StringComparison.Ordinal) || value.StartsWith("jsonpath-as-json=", StringComparison.Ordinal))
        {
            var text = value[(value.IndexOf('=') + 1)..];
            try
            {
                return new(OutputKind.Jsonpath, false, JsonpathTemplate.Parse(text.Trim('\'')));
            }
            catch (FormatException e)
            {
                throw new CliUsageException($"error parsing jsonpath {text}: {e.Message}");
            }
        }
        throw new CliUsageException($"unable to match a printer suitable for the output format \"{value}\", allowed formats are: json,jsonpath,name,wide,yaml");
    }
}

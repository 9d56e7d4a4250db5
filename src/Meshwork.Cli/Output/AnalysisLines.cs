using Meshwork.Policy.Analysis;

namespace Meshwork.Cli.Output;

/// <summary>istioctl analyze's log format: <c>Error [IST0101] (VirtualService httpbin.foo) Referenced gateway not found: "x"</c>.</summary>
internal static class AnalysisLines
{
    public static string Line(AnalysisMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var origin = message.Namespace is null ? $"{message.Kind} {message.Name}" : $"{message.Kind} {message.Name}.{message.Namespace}";
        return $"{Level(message.Level)} [{message.Code.Code}] ({origin}) {message.Text}";
    }

    private static string Level(AnalysisLevel level) => level switch
    {
        AnalysisLevel.Error => "Error",
        AnalysisLevel.Warning => "Warning",
        _ => "Info",
    };
}

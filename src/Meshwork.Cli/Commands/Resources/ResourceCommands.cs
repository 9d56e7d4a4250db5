using System.CommandLine;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>kubectl's verbs against the config API: apply, create, get, delete, label, describe.</summary>
public static partial class ResourceCommands
{
    public static IEnumerable<Command> Create() =>
        [Apply(), CreateCommand(), Get(), Delete(), Label(), Describe()];

    private static Option<bool> AllNamespacesOption() => new("--all-namespaces", "-A") { Description = "Across all namespaces" };
    private static Option<string?> SelectorOption() => new("--selector", "-l") { Description = "Label selector, e.g. app=sleep,version!=v2" };
    private static Option<string[]> FilenameOption(string what) => new("--filename", "-f")
    {
        Description = $"Files or directories to {what} (YAML or JSON, multi-document); - for standard input",
        AllowMultipleArgumentsPerToken = false,
    };
    private static Argument<string[]> TargetsArgument() => new("resources") { Arity = ArgumentArity.ZeroOrMore, Description = "KIND [NAME...] or KIND/NAME..." };
}

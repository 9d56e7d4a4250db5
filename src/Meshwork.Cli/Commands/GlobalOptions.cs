using System.CommandLine;
using Meshwork.Api;

namespace Meshwork.Cli.Commands;

/// <summary>
/// Options every command accepts, before or after the verb, as kubectl's global flags are:
/// <c>meshwork -n noistio apply -f sleep.yaml</c> and <c>meshwork apply -f sleep.yaml -n noistio</c> mean the same.
/// </summary>
public static class GlobalOptions
{
    public static readonly Option<string?> StateDir = new("--state-dir")
    {
        Description = "State directory of the mesh (default: $MESHWORK_STATE_DIR or ~/.meshwork)",
        Recursive = true,
    };

    public static readonly Option<string?> Server = new("--server")
    {
        Description = "Control plane URL (default: the one recorded in the state directory)",
        Recursive = true,
    };

    /// <summary>The namespace a verb works in; each verb says what its absence means (usually "default").</summary>
    public static readonly Option<string?> Namespace = new("--namespace", "-n")
    {
        Description = "The namespace (default: default)",
        Recursive = true,
    };

    /// <summary>kubectl's --context, so that lines typed for kubectl parse; the state directory and --server choose the mesh.</summary>
    public static readonly Option<string?> Context = new("--context")
    {
        Description = "Accepted for kubectl compatibility: the mesh is the one of --state-dir and --server",
        Recursive = true,
    };

    /// <summary>Adds every global option to the root command (the program and tests build the same root).</summary>
    public static void AddTo(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Options.Add(StateDir);
        root.Options.Add(Server);
        root.Options.Add(Namespace);
        root.Options.Add(Context);
    }

    public static StateDirectory ResolveStateDirectory(ParseResult parse) => StateDirectory.Resolve(parse.GetValue(StateDir));
}

using System.CommandLine;
using Meshwork.Api;

namespace Meshwork.Cli.Commands;

/// <summary>Options every command accepts, as kubectl's --kubeconfig and --server.</summary>
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

    public static StateDirectory ResolveStateDirectory(ParseResult parse) => StateDirectory.Resolve(parse.GetValue(StateDir));
}

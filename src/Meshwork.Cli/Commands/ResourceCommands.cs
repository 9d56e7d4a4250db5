using System.CommandLine;

namespace Meshwork.Cli.Commands;

public static class ResourceCommands
{
    public static IEnumerable<Command> Create() => [];
}

using System.CommandLine;

namespace Meshwork.Cli.Commands;

public static class ServerCommands
{
    public static IEnumerable<Command> Create() => [];
}

using System.CommandLine;

namespace Meshwork.Cli.Commands;

public static class RuntimeCommands
{
    public static IEnumerable<Command> Create() => [];
}

using System.CommandLine;

namespace Meshwork.Cli.Commands;

public static class ProxyCommands
{
    public static IEnumerable<Command> Create() => [];
}

using System.CommandLine;

namespace Meshwork.Cli.Commands;

public static class DiagnosticCommands
{
    public static IEnumerable<Command> Create() => [];
}

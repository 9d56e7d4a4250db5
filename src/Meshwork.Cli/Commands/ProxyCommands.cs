using System.CommandLine;

namespace Meshwork.Cli.Commands;

/// <summary>istioctl-like proxy diagnostics: `proxy-status` (and, from the runtime, `proxy-config`).</summary>
public static class ProxyCommands
{
    public static IEnumerable<Command> Create() => [ProxyStatusCommand.Create()];
}

using System.CommandLine;

namespace Meshwork.Cli.Commands.Proxy;

/// <summary>istioctl-like proxy diagnostics: `proxy-status` and `proxy-config secret|listener|cluster|route|endpoint|log`.</summary>
public static class ProxyCommands
{
    public static IEnumerable<Command> Create() => [ProxyStatusCommand.Create(), ProxyConfigCommand.Create()];
}

using System.CommandLine;

namespace Meshwork.Cli.Commands.Proxy;

/// <summary>istioctl-like proxy diagnostics: `proxy-status` and `proxy-config secret`.</summary>
public static class ProxyCommands
{
    public static IEnumerable<Command> Create() => [ProxyStatusCommand.Create(), ProxyConfigCommand.Create()];
}

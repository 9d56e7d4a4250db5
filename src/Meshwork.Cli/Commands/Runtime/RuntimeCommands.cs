using System.CommandLine;
using Meshwork.Cli.Commands.Demo;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>The local runtime's verbs: up, down, node join, exec, logs, kube-inject, rollout, demo (and the hidden runtime).</summary>
public static class RuntimeCommands
{
    public static IEnumerable<Command> Create() =>
    [
        RuntimeLifecycleCommands.Up(),
        RuntimeLifecycleCommands.Down(),
        RuntimeLifecycleCommands.Runtime(),
        NodeCommands.Create(),
        ExecCommands.Exec(),
        ExecCommands.Logs(),
        RuntimeManifestCommands.KubeInject(),
        RuntimeManifestCommands.Rollout(),
        DemoCommands.Demo(),
    ];

    /// <summary>The meshwork binary running now: what the runtime launches for servers, sidecars and samples.</summary>
    internal static string MeshworkExecutable =>
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "meshwork"
            ? path
            : Path.Combine(AppContext.BaseDirectory, "meshwork");
}

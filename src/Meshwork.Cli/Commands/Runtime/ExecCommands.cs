using System.CommandLine;
using Meshwork.Api;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>`meshwork exec` and `meshwork logs`: kubectl's verbs over the runtime's pods.</summary>
internal static class ExecCommands
{
    public static Command Exec()
    {
        var ns = GlobalOptions.Namespace;
        var container = new Option<string?>("--container", "-c") { Description = "Container name (default: the pod's first container; istio-proxy is its sidecar)" };
        var stdin = new Option<bool>("--stdin", "-i") { Description = "Pass stdin to the command (always on: the command shares this terminal)" };
        var tty = new Option<bool>("--tty", "-t") { Description = "Accepted for kubectl compatibility" };
        var target = new Argument<string>("pod") { Description = "POD or deploy/NAME" };
        var words = new Argument<string[]>("command") { Description = "Command and arguments, after --", Arity = ArgumentArity.OneOrMore };
        var command = new Command("exec", "Run a command in a pod's world: its environment (http_proxy included) and folder")
        {
            container, stdin, tty, target, words,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            if (Find(state, parse.GetValue(ns), parse.GetValue(target)!, parse.GetValue(container)) is not { } found) return 1;
            var code = await PodExec.RunAsync(found, parse.GetValue(words)!, cancellationToken);
            if (code != 0) Console.Error.WriteLine($"command terminated with exit code {code}");
            return code;
        });
        return command;
    }

    public static Command Logs()
    {
        var ns = GlobalOptions.Namespace;
        var container = new Option<string?>("--container", "-c") { Description = "Container name (default: the pod's first container)" };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new output" };
        var tail = new Option<int>("--tail") { Description = "Lines of recent output to show (-1: all)", DefaultValueFactory = _ => -1 };
        var target = new Argument<string>("pod") { Description = "POD or deploy/NAME" };
        var command = new Command("logs", "Print a container's output") { container, follow, tail, target };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            if (Find(state, parse.GetValue(ns), parse.GetValue(target)!, parse.GetValue(container)) is not { } found) return 1;
            await PrintLogAsync(found.LogFile, parse.GetValue(tail), parse.GetValue(follow), cancellationToken);
            return 0;
        });
        return command;
    }

    private static ContainerRecord? Find(StateDirectory state, string? @namespace, string target, string? containerName)
    {
        var ns = string.IsNullOrEmpty(@namespace) ? "default" : @namespace;
        var pod = PodRecord.Resolve(state, ns, target, out var error);
        if (pod is null)
        {
            Console.Error.WriteLine(error);
            return null;
        }
        var container = containerName is null ? pod.DefaultContainer : pod.Containers.FirstOrDefault(c => c.Name == containerName);
        if (container is null)
        {
            Console.Error.WriteLine($"error: container {containerName} is not valid for pod {pod.Name}; its containers: {string.Join(", ", pod.Containers.Select(c => c.Name))}");
        }
        return container;
    }

    private static async Task PrintLogAsync(string file, int tail, bool follow, CancellationToken cancellationToken)
    {
        using var stdout = Console.OpenStandardOutput();
        await ContainerLog.CopyAsync(file, tail, follow, stdout, cancellationToken);
    }
}

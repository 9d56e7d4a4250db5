using System.Diagnostics;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// `meshwork exec`: runs a command in a container's world (its environment, including http_proxy,
/// and its working directory) and returns the command's exit code.
/// </summary>
public static class PodExec
{
    public static ProcessStartInfo StartInfo(ContainerRecord container, IReadOnlyList<string> command, bool captureOutput)
    {
        if (command.Count == 0) throw new ArgumentException("no command", nameof(command));
        // An isolated pod's container: its namespaces (network, mounts) and its user, as kubectl exec enters a container.
        if (container.Uid is int uid && container.Pid is int pid) command = PodSandbox.Enter(pid, uid, command);
        var path = container.Environment.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH") ?? "";
        var info = new ProcessStartInfo(Which(command[0], path, container.WorkingDirectory))
        {
            UseShellExecute = false,
            WorkingDirectory = Directory.Exists(container.WorkingDirectory) ? container.WorkingDirectory : Environment.CurrentDirectory,
            RedirectStandardOutput = captureOutput,
            RedirectStandardError = captureOutput,
        };
        foreach (var word in command.Skip(1)) info.ArgumentList.Add(word);
        info.Environment.Clear();
        foreach (var (key, value) in container.Environment) info.Environment[key] = value;
        return info;
    }

    /// <summary>Looks a command up on the container's PATH (Process.Start would use ours).</summary>
    public static string Which(string command, string path, string workingDirectory)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return Path.IsPathRooted(command) ? command : Path.GetFullPath(Path.Combine(workingDirectory, command));
        }
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate)) return candidate;
        }
        return command;
    }

    /// <summary>Runs with the caller's stdin/stdout/stderr; returns the exit code (127 when the command is not found).</summary>
    public static async Task<int> RunAsync(ContainerRecord container, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        Process process;
        try
        {
            process = Process.Start(StartInfo(container, command, captureOutput: false))!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            await Console.Error.WriteLineAsync($"exec: \"{command[0]}\": {e.Message}").ConfigureAwait(false);
            return 127;
        }
        using (process)
        {
            using var registration = cancellationToken.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            return process.ExitCode;
        }
    }

    /// <summary>Runs and captures stdout and stderr (the demo's curl matrix).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> CaptureAsync(ContainerRecord container, IReadOnlyList<string> command, CancellationToken cancellationToken)
    {
        using var process = Process.Start(StartInfo(container, command, captureOutput: true))!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            throw;
        }
        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}

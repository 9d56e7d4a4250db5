using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;

namespace Meshwork.Runtime.Processes;

/// <summary>
/// What to run for one container: a command with its complete environment, working directory and
/// log file. The command's first word is looked up on the container's own PATH.
/// </summary>
public sealed record ProcessLaunch
{
    public required ImmutableArray<string> Command { get; init; }
    public required ImmutableSortedDictionary<string, string> Environment { get; init; }
    public required string WorkingDirectory { get; init; }
    public required string LogFile { get; init; }
}

/// <summary>
/// Starts processes in their own session and process group (so stopping a container stops all it
/// started, and the runtime's exit does not take them along), with stdin from /dev/null and
/// stdout/stderr appended to the log file by the shell, not pumped by this process.
/// </summary>
public static class ProcessLauncher
{
    private static readonly string? SetSid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);

    public static Process Start(ProcessLaunch launch)
    {
        if (launch.Command.IsDefaultOrEmpty) throw new ArgumentException("empty command", nameof(launch));
        Directory.CreateDirectory(launch.WorkingDirectory);
        Directory.CreateDirectory(Path.GetDirectoryName(launch.LogFile)!);
        // setsid execs in place when its caller is not a group leader, so the pid we get is the
        // session's and the group's id; sh then execs the command found on the container's PATH.
        var script = $"exec \"$@\" </dev/null >>{ShellQuote(launch.LogFile)} 2>&1";
        var info = new ProcessStartInfo(SetSid ?? "/bin/sh")
        {
            WorkingDirectory = launch.WorkingDirectory,
            UseShellExecute = false,
        };
        if (SetSid is not null) info.ArgumentList.Add("/bin/sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("sh");
        foreach (var word in launch.Command) info.ArgumentList.Add(word);
        info.Environment.Clear();
        foreach (var (key, value) in launch.Environment) info.Environment[key] = value;
        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {launch.Command[0]}");
    }

    /// <summary>Stops the process and everything in its group.</summary>
    public static async Task StopAsync(Process process, TimeSpan grace)
    {
        int pid;
        try { pid = process.Id; } catch (InvalidOperationException) { return; }
        if (SetSid is not null)
        {
            await Posix.TerminateGroupAsync(pid, grace).ConfigureAwait(false);
        }
        else
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        using var wait = new CancellationTokenSource(grace + TimeSpan.FromSeconds(2));
        try { await process.WaitForExitAsync(wait.Token).ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    public static string ShellQuote(string value)
    {
        var builder = new StringBuilder("'");
        foreach (var c in value)
        {
            if (c == '\'') builder.Append("'\\''"); else builder.Append(c);
        }
        return builder.Append('\'').ToString();
    }
}

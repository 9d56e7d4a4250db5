using System.Diagnostics;
using System.Text;

namespace Meshwork.Runtime.Network;

public sealed class PodNetworkException(string message) : Exception(message);

/// <summary>
/// Runs the machine's network tools (ip, iptables-restore, sysctl, nsenter) with a bounded wait
/// and a bounded output, and turns a failure into an error that names the command and its stderr.
/// </summary>
public static class NetworkCommands
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const int MaxOutputChars = 1 << 20;

    /// <summary>Runs and returns stdout; throws <see cref="PodNetworkException"/> on a non-zero exit or timeout.</summary>
    public static string Run(string tool, IEnumerable<string> arguments, string? stdin = null)
    {
        var (exitCode, stdout, stderr) = TryRun(tool, arguments, stdin, out var commandLine);
        if (exitCode != 0)
        {
            throw new PodNetworkException($"`{commandLine}` failed (exit {exitCode}): {stderr.Trim()}");
        }
        return stdout;
    }

    /// <summary>Runs and returns the exit code and output, for commands whose failure is an answer (a leftover already gone).</summary>
    public static (int ExitCode, string Stdout, string Stderr) TryRun(string tool, IEnumerable<string> arguments, string? stdin, out string commandLine)
    {
        var info = new ProcessStartInfo(Locate(tool))
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        commandLine = $"{tool} {string.Join(' ', info.ArgumentList)}";
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new PodNetworkException($"could not start {tool}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new PodNetworkException($"could not run {tool}: {e.Message} (the pod network needs iproute2 and iptables: apt-get install iproute2 iptables)");
        }
        using (process)
        {
            var stdout = ReadBoundedAsync(process.StandardOutput);
            var stderr = ReadBoundedAsync(process.StandardError);
            if (stdin is not null) process.StandardInput.Write(stdin);
            process.StandardInput.Close();
            if (!process.WaitForExit(Timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                throw new PodNetworkException($"`{commandLine}` did not finish within {Timeout.TotalSeconds:0} s");
            }
            process.WaitForExit();
            return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    /// <summary>The tool's path: the sbin folders are not on every user's PATH.</summary>
    private static string Locate(string tool)
    {
        foreach (var directory in new[] { "/usr/sbin", "/sbin", "/usr/bin", "/bin" })
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate)) return candidate;
        }
        return tool;
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader)
    {
        var text = new StringBuilder();
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            // Keep draining so the tool never blocks on a full pipe, but keep only a bounded amount.
            if (text.Length < MaxOutputChars) text.Append(buffer, 0, Math.Min(read, MaxOutputChars - text.Length));
        }
        return text.ToString();
    }
}

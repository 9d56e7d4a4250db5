using System.Diagnostics;
using System.Text;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the real `meshwork` binary (built next to this assembly) and real tools such as curl.</summary>
public static class Meshwork
{
    public static string Executable { get; } = Path.Combine(AppContext.BaseDirectory, "meshwork");

    /// <summary>
    /// The pod network mode the existing scenarios were written for (loopback: http_proxy, 127.x pod
    /// addresses); a test of the isolated mode sets MESHWORK_POD_NETWORK itself through <see cref="PodNetwork"/>.
    /// </summary>
    public static string PodNetwork { get; set; } = Environment.GetEnvironmentVariable("MESHWORK_E2E_POD_NETWORK") ?? "loopback";

    public static Task<CommandResult> RunAsync(string stateDirectory, params string[] args) =>
        RunInPodNetworkAsync(stateDirectory, PodNetwork, args);

    public static Task<CommandResult> RunInPodNetworkAsync(string stateDirectory, string podNetwork, params string[] args) =>
        RunInPodNetworkAsync(stateDirectory, podNetwork, new Dictionary<string, string>(), args);

    /// <summary>As above, with more environment (what `up` passes on to the control plane it starts).</summary>
    public static Task<CommandResult> RunInPodNetworkAsync(string stateDirectory, string podNetwork, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunProcessAsync(Executable, ["--state-dir", stateDirectory, .. args], TimeSpan.FromMinutes(4),
            new Dictionary<string, string>(environment) { ["MESHWORK_POD_NETWORK"] = podNetwork });

    public static async Task<CommandResult> RunProcessAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish within {timeout}:\n{await stdout}\n{await stderr}");
        }
        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="describe"/> when time runs out.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<Task<string>> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition()) return;
            if (DateTime.UtcNow > deadline) Assert.Fail($"condition not met within {timeout.TotalSeconds:0}s: {await describe()}");
            await Task.Delay(250);
        }
    }
}

/// <summary>A state directory of its own for a test class, removed afterwards.</summary>
public sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("meshwork-e2e-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public string ReadLogs()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.EnumerateFiles(Path, "*.log", SearchOption.AllDirectories))
        {
            text.AppendLine($"--- {file}");
            foreach (var line in File.ReadLines(file).TakeLast(40)) text.AppendLine(line);
        }
        return text.ToString();
    }
}

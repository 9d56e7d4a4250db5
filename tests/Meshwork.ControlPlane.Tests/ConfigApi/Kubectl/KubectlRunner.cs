using System.Diagnostics;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <summary>What one kubectl run printed and how it exited.</summary>
public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the machine's real kubectl against a kubeconfig, with a home directory of its own so that
/// its discovery cache never leaks between tests or from the user's.
/// </summary>
public sealed class KubectlRunner(string kubeconfig, string home)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>The kubectl on PATH; a missing kubectl fails the test, it does not skip it.</summary>
    public static string Executable { get; } = Find();

    private static string Find()
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "kubectl");
            if (File.Exists(candidate)) return candidate;
        }
        return "";
    }

    public Task<KubectlResult> RunAsync(params string[] args) => RunWithInputAsync("", args);

    /// <summary>Runs with <paramref name="input"/> on stdin, then end of file.</summary>
    public async Task<KubectlResult> RunWithInputAsync(string input, params string[] args)
    {
        using var process = Start(args);
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"kubectl {string.Join(' ', args)} did not finish within {Limit}");
        }
        return new KubectlResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts kubectl and leaves it running (for <c>get -w</c>); the caller reads its output and kills it.</summary>
    public Process Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>As <see cref="Start(string[])"/>, with <paramref name="environment"/> added to kubectl's (a feature switch, say).</summary>
    public Process Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(environment);
        Assert.True(Executable.Length > 0,
            "kubectl is not on PATH: these tests run the real kubectl against the config API; install the kubectl package (see .ci/run)");
        var start = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["KUBECONFIG"] = kubeconfig;
        start.Environment["HOME"] = home;
        start.Environment.Remove("KUBECTL_EXTERNAL_DIFF");
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Process.Start(start)!;
    }

    /// <summary>Runs and asserts success, returning stdout.</summary>
    public async Task<string> SucceedAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result}");
        return result.Stdout;
    }
}

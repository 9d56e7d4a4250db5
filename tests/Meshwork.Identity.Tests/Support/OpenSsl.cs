using System.Diagnostics;

namespace Meshwork.Identity.Tests;

/// <summary>Runs the real openssl binary, as a user checking our files would.</summary>
internal static class OpenSsl
{
    public const string Path = "/usr/bin/openssl";

    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(Path)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException($"openssl {string.Join(' ', args)} did not finish");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>Runs openssl and fails the test, with its output, when it exits non-zero.</summary>
    public static string MustRun(string workingDirectory, params string[] args)
    {
        var (code, output) = Run(workingDirectory, args);
        Assert.True(code == 0, $"openssl {string.Join(' ', args)} exited {code}:\n{output}");
        return output;
    }
}

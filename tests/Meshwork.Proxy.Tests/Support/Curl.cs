using System.Diagnostics;

namespace Meshwork.Proxy.Tests.Support;

public sealed record CurlResult(int ExitCode, string HttpCode, string Body, string Stderr);

/// <summary>Runs the real curl, as the tutorials do: `curl -s -o body -w "%{http_code}"`.</summary>
public static class Curl
{
    public static Task<CurlResult> RunAsync(params string[] args) => RunAsync(true, args);

    /// <summary>As <see cref="RunAsync(string[])"/>; with <paramref name="captureBody"/> false the caller's own -o decides where the body goes.</summary>
    public static Task<CurlResult> RunAsync(bool captureBody, params string[] args) => RunAsync([], captureBody, args);

    /// <summary>
    /// As <see cref="RunAsync(bool, string[])"/>, curl started through <paramref name="launcher"/> (as an app in a pod:
    /// ip netns exec … setpriv …), which then gets its body file writable whatever user it runs as.
    /// </summary>
    public static async Task<CurlResult> RunAsync(IReadOnlyList<string> launcher, bool captureBody, params string[] args)
    {
        var bodyFile = Path.GetTempFileName();
        try
        {
            if (launcher.Count > 0) WritableByAnyone(bodyFile);
            var psi = new ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var common = captureBody ? new[] { "-sS", "--max-time", "120", "-o", bodyFile, "-w", "%{http_code}" } : ["-sS", "--max-time", "120", "-w", "%{http_code}"];
            foreach (var a in launcher.Skip(1).Concat(launcher.Count > 0 ? ["curl"] : []).Concat(common).Concat(args)) psi.ArgumentList.Add(a);
            psi.Environment.Remove("http_proxy");
            psi.Environment.Remove("HTTP_PROXY");
            psi.Environment.Remove("https_proxy");
            psi.Environment.Remove("no_proxy");
            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return new CurlResult(process.ExitCode, (await stdout).Trim(), await File.ReadAllTextAsync(bodyFile), await stderr);
        }
        finally { File.Delete(bodyFile); }
    }

    /// <summary>A temporary file (0600, this process's) that curl running as another user may write.</summary>
    public static void WritableByAnyone(string file)
    {
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, (UnixFileMode)0b110_110_110);
    }
}

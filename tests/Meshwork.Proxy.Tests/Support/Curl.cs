using System.Diagnostics;

namespace Meshwork.Proxy.Tests.Support;

public sealed record CurlResult(int ExitCode, string HttpCode, string Body, string Stderr);

/// <summary>Runs the real curl, as the tutorials do: `curl -s -o body -w "%{http_code}"`.</summary>
public static class Curl
{
    public static Task<CurlResult> RunAsync(params string[] args) => RunAsync(true, args);

    /// <summary>As <see cref="RunAsync(string[])"/>; with <paramref name="captureBody"/> false the caller's own -o decides where the body goes.</summary>
    public static async Task<CurlResult> RunAsync(bool captureBody, params string[] args)
    {
        var bodyFile = Path.GetTempFileName();
        try
        {
            var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var common = captureBody ? new[] { "-sS", "--max-time", "120", "-o", bodyFile, "-w", "%{http_code}" } : ["-sS", "--max-time", "120", "-w", "%{http_code}"];
            foreach (var a in common.Concat(args)) psi.ArgumentList.Add(a);
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
}

using System.Diagnostics;
using System.Text;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// A sidecar running inside a pod's network namespace as a process of its own (<c>ip netns exec</c>), started from this
/// test assembly's entry point with the environment the runtime gives it; ready once it logs its listeners.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProxyProcess(Process process) => _process = process;

    public string Log { get { lock (_log) return _log.ToString(); } }

    public static async Task<ProxyProcess> StartAsync(PodNamespace pod, IReadOnlyDictionary<string, string> environment)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["netns", "exec", pod.Netns, dotnet, typeof(ProxyProcess).Assembly.Location, "proxy"]) psi.ArgumentList.Add(a);
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        var process = Process.Start(psi)!;
        var proxy = new ProxyProcess(process);
        process.OutputDataReceived += (_, e) => proxy.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(proxy._listening.Task, exited, Task.Delay(TimeSpan.FromSeconds(120)));
        if (first != proxy._listening.Task)
        {
            await proxy.DisposeAsync();
            throw new InvalidOperationException($"the proxy in {pod.Netns} did not start listening:\n{proxy.Log}");
        }
        return proxy;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.Contains(" listening: ", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(timeout.Token); } catch (OperationCanceledException) { }
        }
        _process.Dispose();
    }
}

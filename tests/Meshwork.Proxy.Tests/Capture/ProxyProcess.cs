using System.Diagnostics;
using System.Text;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// A sidecar running inside a pod's network namespace as a process of its own (<c>ip netns exec</c>), started from this
/// test assembly's entry point with the environment the runtime gives it; ready once it logs its listeners.
/// <see cref="NativeVariable"/> names a native meshwork-proxy (NativeAOT) to run instead, as the runtime does.
/// </summary>
public sealed class ProxyProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The runtime's override for the sidecar executable (Meshwork.Runtime's ProxyCommand reads the same one).</summary>
    public const string NativeVariable = "MESHWORK_PROXY_BIN";

    private int _disposed;

    private ProxyProcess(Process process) => _process = process;

    public string Log { get { lock (_log) return _log.ToString(); } }

    public static async Task<ProxyProcess> StartAsync(PodNamespace pod, IReadOnlyDictionary<string, string> environment)
    {
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var psi = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        string[] command = Environment.GetEnvironmentVariable(NativeVariable) is { Length: > 0 } native
            ? [native]
            : [dotnet, typeof(ProxyProcess).Assembly.Location, "proxy"];
        foreach (var a in (string[])["netns", "exec", pod.Netns, .. command]) psi.ArgumentList.Add(a);
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

    /// <summary>
    /// A sidecar with capture (Istio's iptables rules, <see cref="PodNetwork.Capture"/>) in <paramref name="pod"/>, from a
    /// snapshot file; <paramref name="inboundPorts"/> maps workload ports to the app (port=host:port,…). Its metrics are on
    /// the pod IP's <see cref="CaptureMesh.MetricsPort"/>, which capture leaves alone.
    /// </summary>
    public static Task<ProxyProcess> StartCaptureSidecarAsync(PodNamespace pod, string ns, string serviceAccount, string snapshotFile, string certDir, string inboundPorts) =>
        StartAsync(pod, new Dictionary<string, string>
        {
            [ProxyEnvironment.Role] = "sidecar",
            [ProxyEnvironment.SnapshotFile] = snapshotFile,
            [ProxyEnvironment.CertDirectory] = certDir,
            [ProxyEnvironment.Capture] = "iptables",
            [ProxyEnvironment.InboundPorts] = inboundPorts,
            [ProxyEnvironment.MetricsAddress] = $"{pod.Ip}:{CaptureMesh.MetricsPort}",
            [ProxyEnvironment.PodIp] = pod.Ip,
            [ProxyEnvironment.PodName] = $"{serviceAccount}-pod",
            [ProxyEnvironment.PodNamespace] = ns,
            [ProxyEnvironment.ServiceAccount] = serviceAccount,
            [ProxyEnvironment.Workload] = serviceAccount,
        });

    /// <summary>Where the sidecar serves /stats/prometheus to other pods and the host.</summary>
    public static Uri MetricsOf(PodNamespace pod) => new($"http://{pod.Ip}:{CaptureMesh.MetricsPort}/");

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        if (line.Contains(" listening: ", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(timeout.Token); } catch (OperationCanceledException) { }
        }
        _process.Dispose();
    }
}

using Meshwork.Api;
using Meshwork.Runtime;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A whole local mesh (control plane, runtime, proxies, pods) in a state directory of its own, on a
/// control-plane port picked free, started through the real CLI. Disposal runs `meshwork down` and
/// then kills whatever is left of the processes it recorded, so a failed test leaves nothing behind.
/// </summary>
public class MeshFixture : IAsyncLifetime
{
    private readonly TemporaryDirectory _directory = new();

    public string StatePath => _directory.Path;
    public StateDirectory State => new(_directory.Path);

    public virtual Task InitializeAsync() => Task.CompletedTask;

    /// <summary>MESHWORK_POD_NETWORK for this mesh's commands (the runtime `up` starts inherits it).</summary>
    protected virtual string PodNetwork => Mw.PodNetwork;

    /// <summary>True when each pod has its own network namespace, files and user (the pod network mode), false in loopback mode.</summary>
    public bool IsolatesPods => PodNetworkModes.Resolve(PodNetwork, Posix.IsRoot) == PodNetworkMode.Namespaces;

    /// <summary>More environment for this mesh's commands, and so for the control plane they start (none by default).</summary>
    protected virtual IReadOnlyDictionary<string, string> CommandEnvironment { get; } = new Dictionary<string, string>();

    /// <summary>Runs a meshwork command; one that does not finish in time fails with the mesh's logs, which a fixture's failure otherwise loses.</summary>
    public async Task<CommandResult> RunAsync(params string[] args)
    {
        try
        {
            return await Mw.RunInPodNetworkAsync(StatePath, PodNetwork, CommandEnvironment, args);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Logs()}", e);
        }
    }

    /// <summary>Runs a meshwork command that must succeed.</summary>
    public async Task<CommandResult> MustAsync(params string[] args)
    {
        var result = await RunAsync(args);
        Assert.True(result.ExitCode == 0, $"meshwork {string.Join(' ', args)} failed: {result}\n{Logs()}");
        return result;
    }

    /// <summary>`meshwork up --port 0` with the given manifest files.</summary>
    public Task<CommandResult> UpAsync(params string[] files) =>
        MustAsync(["up", "--port", "0", .. files.SelectMany(f => new[] { "-f", f })]);

    /// <summary>Applies a manifest as the tutorial does with kubectl apply -f &lt;(istioctl kube-inject -f FILE) -n NS.</summary>
    public async Task ApplyInjectedAsync(string file, string @namespace)
    {
        var injected = await MustAsync("kube-inject", "-f", file);
        var path = Path.Combine(StatePath, $"injected-{@namespace}-{Path.GetFileName(file)}");
        await File.WriteAllTextAsync(path, injected.Stdout);
        await MustAsync("apply", "-n", @namespace, "-f", path);
    }

    /// <summary>The tutorial's curl from a pod of deploy/sleep in <paramref name="from"/>: "200", or "000" and curl's exit code.</summary>
    public async Task<(string Code, int ExitCode, string Stderr)> CurlAsync(string from, string url)
    {
        var result = await RunAsync("exec", "-n", from, "deploy/sleep", "-c", "sleep", "--",
            "curl", url, "-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}");
        return (result.Stdout.Trim(), result.ExitCode, result.Stderr);
    }

    /// <summary>Retries a curl until it gives <paramref name="expected"/> (a policy takes a moment to reach the proxies).</summary>
    public async Task<(string Code, int ExitCode, string Stderr)> CurlUntilAsync(string from, string url, string expected, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var result = await CurlAsync(from, url);
            if (result.Code == expected || DateTime.UtcNow > deadline) return result;
            await Task.Delay(500);
        }
    }

    /// <summary>A file of the repository's samples/ folder.</summary>
    public static string Sample(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Meshwork.slnx"))) return Path.Combine(directory.FullName, "samples", relativePath);
        }
        throw new FileNotFoundException("the repository root (Meshwork.slnx) is not above the test assembly", relativePath);
    }

    public IReadOnlyList<PodRecord> Pods(string @namespace) => PodRecord.List(State, @namespace);

    public string Logs() => _directory.ReadLogs();

    public virtual async Task DisposeAsync()
    {
        try
        {
            await Mw.RunInPodNetworkAsync(StatePath, PodNetwork, "down");
        }
        finally
        {
            KillLeftovers();
            _directory.Dispose();
        }
    }

    private void KillLeftovers()
    {
        foreach (var pod in PodRecord.List(State))
        {
            foreach (var container in pod.Containers)
            {
                if (container.Pid is int pid && Mentions(pid, $"POD_NAME={pod.Name}")) Posix.SignalGroup(pid, Posix.SigKill);
            }
        }
        if (RuntimeInfo.Read(State) is { } runtime)
        {
            if (runtime.NetworkProxyPid is int proxy && Mentions(proxy, StatePath)) Posix.SignalGroup(proxy, Posix.SigKill);
            if (Mentions(runtime.Pid, StatePath)) Posix.SignalGroup(runtime.Pid, Posix.SigKill);
        }
        if (ServerInfo.Read(State) is { } server && Mentions(server.Pid, StatePath)) Posix.SignalGroup(server.Pid, Posix.SigKill);
    }

    /// <summary>True when the process's command line or environment contains <paramref name="text"/> (not a reused pid).</summary>
    private static bool Mentions(int pid, string text)
    {
        foreach (var file in new[] { "cmdline", "environ" })
        {
            try
            {
                if (File.ReadAllText($"/proc/{pid}/{file}").Contains(text, StringComparison.Ordinal)) return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return false;
    }
}

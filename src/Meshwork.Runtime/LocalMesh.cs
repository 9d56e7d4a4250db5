using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime;

/// <summary>The control plane recorded in <c>server.json</c>, checked for life.</summary>
public static class LiveServer
{
    /// <summary>The recorded control plane, when its process is alive and its port accepts connections.</summary>
    public static async Task<ServerInfo?> ReadAsync(StateDirectory state, CancellationToken cancellationToken = default)
    {
        if (ServerInfo.Read(state) is not { } info || !Posix.IsAlive(info.Pid)) return null;
        try
        {
            var uri = new Uri(info.Url);
            using var client = new TcpClient();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(uri.Host, uri.Port, timeout.Token).ConfigureAwait(false);
            return info;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or UriFormatException)
        {
            return null;
        }
    }
}

/// <summary>
/// Starts and stops the local mesh of one state directory: the control plane (`meshwork server`)
/// and the runtime (`meshwork runtime`), each detached in its own session with its output in
/// <c>&lt;state&gt;/logs/</c>, so they outlive the command that started them.
/// </summary>
public sealed class LocalMesh(StateDirectory state, string meshworkExecutable, Action<string> log)
{
    public StateDirectory State { get; } = state;

    /// <summary>Starts the control plane unless a live one is recorded; returns it once it answers.</summary>
    public async Task<ServerInfo> EnsureServerAsync(int? port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (await LiveServer.ReadAsync(State, cancellationToken).ConfigureAwait(false) is { } live) return live;
        // A record left by a control plane that was killed (or exited unreaped) would stop a new one.
        if (ServerInfo.Read(State) is { } stale && !Posix.IsAlive(stale.Pid)) TryDelete(State.ServerInfoFile);
        var previous = ServerInfo.Read(State);
        List<string> command = [meshworkExecutable, "server", "--state-dir", State.Root];
        if (port is not null) command.AddRange(["--port", port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var process = Detach(command, "server.log");
        log($"starting the control plane (log: {Path.Combine(State.LogDirectory, "server.log")})");
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await LiveServer.ReadAsync(State, cancellationToken).ConfigureAwait(false) is { } info && info != previous) return info;
            if (process.HasExited)
            {
                throw new LocalMeshException(Exited("the control plane", process.ExitCode, Path.Combine(State.LogDirectory, "server.log")));
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        throw new LocalMeshException($"the control plane did not come up within {timeout.TotalSeconds:0}s; see {Path.Combine(State.LogDirectory, "server.log")}");
    }

    /// <summary>Starts the runtime unless a live one is recorded.</summary>
    public async Task<RuntimeInfo> EnsureRuntimeAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (RuntimeInfo.ReadLive(State) is { } live) return live;
        var process = Detach([meshworkExecutable, "runtime", "--state-dir", State.Root], "runtime.log");
        log($"starting the runtime (log: {Path.Combine(State.LogDirectory, "runtime.log")})");
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (RuntimeInfo.ReadLive(State) is { } info && info.Pid == process.Id) return info;
            if (process.HasExited)
            {
                throw new LocalMeshException(Exited("the runtime", process.ExitCode, Path.Combine(State.LogDirectory, "runtime.log")));
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        throw new LocalMeshException($"the runtime did not come up within {timeout.TotalSeconds:0}s; see {Path.Combine(State.LogDirectory, "runtime.log")}");
    }

    /// <summary>
    /// Waits until the runtime has seen the config as of <paramref name="since"/> and every
    /// Deployment (or those named) has all its pods ready; reports progress as it changes.
    /// </summary>
    public async Task<ImmutableArray<DeploymentProgress>> WaitForRolloutAsync(
        DateTimeOffset since, IReadOnlyCollection<string>? only, TimeSpan timeout, Action<DeploymentProgress> progress, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var shown = new Dictionary<string, (int, int, string?)>();
        ImmutableArray<DeploymentProgress> last = [];
        while (true)
        {
            var info = RuntimeInfo.ReadLive(State) ?? throw new LocalMeshException($"the runtime is not running; see {Path.Combine(State.LogDirectory, "runtime.log")}");
            if (info.ObservedAt is { } observed && observed > since)
            {
                last = [.. info.Deployments.Where(d => only is null || only.Contains($"{d.Namespace}/{d.Name}"))];
                foreach (var deployment in last)
                {
                    var key = $"{deployment.Namespace}/{deployment.Name}";
                    var state = (deployment.Ready, deployment.Replicas, deployment.Error);
                    if (!shown.TryGetValue(key, out var before) || before != state)
                    {
                        shown[key] = state;
                        progress(deployment);
                    }
                }
                var missing = only is not null && only.Any(name => !last.Any(d => $"{d.Namespace}/{d.Name}" == name));
                if (!missing && last.All(d => d.Complete || d.Error is not null)) return last;
            }
            if (DateTime.UtcNow > deadline) return last;
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stops the control plane (when it still runs) and starts it again on the same port, so proxies reconnect
    /// where they were told to; it takes up its CA as it starts (the cacerts secret in istio-system, as istiod
    /// does). `rollout restart deployment/istiod` uses it when the recorded control plane is gone. Pods keep running.
    /// </summary>
    public async Task<ServerInfo> RestartServerAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var current = ServerInfo.Read(State) ?? throw new LocalMeshException($"no control plane is recorded in {State.Root}: start the mesh with `meshwork up`");
        var port = new Uri(current.Url).Port;
        if (Posix.IsAlive(current.Pid))
        {
            log("stopping the control plane");
            await StopAsync(current.Pid, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
        }
        TryDelete(State.ServerInfoFile);
        return await EnsureServerAsync(port, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the runtime (which stops its pods) and then the control plane. Config stays.</summary>
    public async Task<bool> DownAsync(CancellationToken cancellationToken)
    {
        var stopped = false;
        if (RuntimeInfo.ReadLive(State) is { } runtime)
        {
            log("stopping the runtime and its pods");
            await StopAsync(runtime.Pid, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            stopped = true;
        }
        if (ServerInfo.Read(State) is { } server && Posix.IsAlive(server.Pid))
        {
            log("stopping the control plane");
            await StopAsync(server.Pid, TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false);
            stopped = true;
        }
        // A process that was killed could not remove its record; one that is gone must not look alive.
        if (ServerInfo.Read(State) is { } stale && !Posix.IsAlive(stale.Pid)) TryDelete(State.ServerInfoFile);
        if (RuntimeInfo.Read(State) is { } staleRuntime && !Posix.IsAlive(staleRuntime.Pid)) TryDelete(State.RuntimeInfoFile);
        // A runtime that was killed could not remove its pod network; what is left is removed here.
        if (Posix.IsRoot && RuntimeInfo.ReadLive(State) is null) Network.PodNetworkController.RemoveLeftovers(State.Root, log);
        return stopped;
    }

    private static async Task StopAsync(int pid, TimeSpan grace, CancellationToken cancellationToken)
    {
        Posix.Signal(pid, Posix.SigTerm);
        var deadline = DateTime.UtcNow + grace;
        while (Posix.IsAlive(pid) && DateTime.UtcNow < deadline) await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        if (Posix.IsAlive(pid))
        {
            Posix.SignalGroup(pid, Posix.SigKill);
            Posix.Signal(pid, Posix.SigKill);
        }
    }

    private System.Diagnostics.Process Detach(IReadOnlyList<string> command, string logName)
    {
        Directory.CreateDirectory(State.LogDirectory);
        var env = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value) env[key] = value;
        }
        return ProcessLauncher.Start(new ProcessLaunch
        {
            Command = [.. command],
            Environment = env.ToImmutable(),
            WorkingDirectory = State.Root,
            LogFile = Path.Combine(State.LogDirectory, logName),
        });
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Why a process that <c>up</c> started exited: its own "error: …" lines when it wrote any (they say what to
    /// do, in a line or two), else the end of its log; the log's path either way, for the rest.
    /// </summary>
    private static string Exited(string what, int code, string log)
    {
        string[] errors;
        try { errors = [.. File.ReadLines(log).Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).TakeLast(2)]; }
        catch (IOException) { errors = []; }
        return errors.Length > 0
            ? $"{what} exited with code {code} (log: {log}): {string.Join('\n', errors.Select(e => e["error: ".Length..]))}"
            : $"{what} exited with code {code}; see {log}:\n{Tail(log)}";
    }

    private static string Tail(string file, int lines = 20)
    {
        try
        {
            return string.Join('\n', File.ReadLines(file).TakeLast(lines));
        }
        catch (IOException)
        {
            return "";
        }
    }
}

public sealed class LocalMeshException(string message) : Exception(message);

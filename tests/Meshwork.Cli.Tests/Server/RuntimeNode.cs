using System.Diagnostics;
using System.Text;
using Meshwork.Api;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Processes;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// `meshwork runtime` in a state directory of its own, given the control-plane replicas with --server, in the
/// pod network mode (the tests run as root). Stopped with SIGTERM, so that it removes its pods and their
/// network; whatever a runtime that would not stop left of the network is removed after it.
/// </summary>
public sealed class RuntimeNode : IAsyncDisposable
{
    private readonly StringBuilder _log;

    private RuntimeNode(StateDirectory state, Process process, StringBuilder log)
    {
        State = state;
        Process = process;
        _log = log;
    }

    public StateDirectory State { get; }
    public Process Process { get; }

    private static readonly Dictionary<string, string> Environment = new()
    {
        [PodNetworkModes.EnvironmentVariable] = "netns",
        ["MESHWORK_INGRESS_GATEWAY"] = "0",
    };

    /// <summary>Starts a runtime for the mesh whose admin token and root <paramref name="replica"/> holds, against <paramref name="replicas"/>.</summary>
    public static RuntimeNode Start(ReplicaProcesses mesh, StateDirectory replica, string replicas, string name)
    {
        var state = new StateDirectory(Path.Combine(mesh.Work, name));
        Directory.CreateDirectory(state.Root);
        File.Copy(replica.AdminTokenFile, state.AdminTokenFile);
        File.Copy(replica.RootCertFile, state.RootCertFile);
        var process = mesh.Start(["--state-dir", state.Root, "--server", replicas, "runtime"], Environment, out var log);
        return new RuntimeNode(state, process, log);
    }

    /// <summary>
    /// `meshwork node join` as an operator types it on a new host: the replicas, the admin token and the mesh root; run in
    /// <paramref name="host"/>'s network namespace, with its address, when given.
    /// </summary>
    public static RuntimeNode Join(ReplicaProcesses mesh, StateDirectory replica, string replicas, string name, HostNetwork.Host? host = null)
    {
        var state = new StateDirectory(Path.Combine(mesh.Work, name));
        var token = File.ReadAllText(replica.AdminTokenFile).Trim();
        string[] address = host is null ? [] : ["--address", host.Address.ToString()];
        var process = mesh.Start(["--state-dir", state.Root, "node", "join", "--server", replicas, "--token", token,
            "--root-cert", replica.RootCertFile, "--name", name, .. address], Environment, out var log, host?.Name);
        return new RuntimeNode(state, process, log);
    }

    public override string ToString()
    {
        lock (_log) return $"runtime {State.Root}:\n{_log}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Posix.Signal(Process.Id, 15); // SIGTERM: the runtime stops its pods and removes their network.
                using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                try { await Process.WaitForExitAsync(deadline.Token); }
                catch (OperationCanceledException) { Process.Kill(entireProcessTree: true); }
            }
        }
        catch (InvalidOperationException)
        {
            // Already reaped.
        }
        PodNetworkController.RemoveLeftovers(State.Root, _ => { });
    }
}

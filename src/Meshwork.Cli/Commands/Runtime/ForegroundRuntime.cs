using System.Runtime.InteropServices;
using Meshwork.Api;
using Meshwork.Api.Events;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.Runtime;

namespace Meshwork.Cli.Commands.Runtime;

/// <summary>
/// The runtime in the foreground until SIGTERM or Ctrl+C, then its pods stopped: what `meshwork up` starts in the
/// background (the hidden `meshwork runtime`), and what `meshwork node join` runs as a node of a shared mesh.
/// </summary>
internal static class ForegroundRuntime
{
    /// <summary>A node of the mesh: its name and where the other nodes reach it.</summary>
    public sealed record NodeIdentity(string Name, string Address);

    public static async Task<int> RunAsync(StateDirectory state, string? server, NodeIdentity? node, CancellationToken cancellationToken)
    {
        if (RuntimeInfo.ReadLive(state) is { } other && other.Pid != Environment.ProcessId)
        {
            Console.Error.WriteLine($"error: a runtime already runs for {state.Root} (pid {other.Pid})");
            return 1;
        }
        ControlPlaneAddresses? replicas = null;
        if (!string.IsNullOrEmpty(server))
        {
            if (!ControlPlaneAddresses.TryParse(server, out var parsed, out var problem))
            {
                Console.Error.WriteLine($"error: --server: {problem}");
                return 1;
            }
            replicas = parsed;
        }
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
        void Log(string line) => Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}");
        var api = MeshApiClient.FromStateDirectory(state, server);
        await using var events = new ApiEventRecorder(api, Log);
        var host = new RuntimeHost(new RuntimeOptions
        {
            State = state,
            Api = api,
            MeshworkExecutable = RuntimeCommands.MeshworkExecutable,
            ControlPlane = replicas,
            NodeName = node?.Name,
            NodeAddress = node?.Address,
            // Istio's default install has an ingress gateway; MESHWORK_INGRESS_GATEWAY=0 leaves it out.
            IngressGateway = IngressGateway.Enabled,
            Log = Log,
            Events = events,
        });
        var run = host.RunAsync(stop.Token);
        // The command line's own SIGTERM handling returns from Main after a short grace period;
        // the pods (in sessions of their own) must still be stopped before this process ends.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            stop.Cancel();
            try { run.Wait(TimeSpan.FromSeconds(60)); } catch (AggregateException) { }
        };
        await run;
        Console.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} runtime: stopped");
        return 0;
    }
}

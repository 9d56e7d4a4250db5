using System.Diagnostics;
using Xunit.Abstractions;
using static Meshwork.Cli.Tests.Server.ReplicaProcesses;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// A runtime given several control-plane replicas hands all of them to its sidecars: when the replica a
/// sidecar streams from is killed, the sidecar moves to the other one (given only the first, it could not).
/// </summary>
public sealed class RuntimeOnReplicasProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ReplicaProcesses _mesh = new();
    private RuntimeNode? _node;

    public Task InitializeAsync() => _mesh.StartPostgresAsync();

    public async Task DisposeAsync()
    {
        if (_node is not null) await _node.DisposeAsync();
        await _mesh.DisposeAsync();
    }

    [Fact]
    public async Task A_pods_sidecar_moves_to_the_surviving_replica_when_its_own_is_killed()
    {
        var (store, key) = await _mesh.CreateMeshAsync();
        var a = await _mesh.StartServerAsync("a", store, key);
        var b = await _mesh.StartServerAsync("b", store, key);
        var replicas = $"{a.Url},{b.Url}";
        var injected = _mesh.Write("foo.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n  labels:\n    istio-injection: enabled\n");
        Assert.Equal(0, (await RunAsync(a.State, "--server", replicas, "apply", "-f", injected)).ExitCode);
        var httpbin = await RunAsync(a.State, "--server", replicas, "apply", "-n", "foo", "-f", CliHarness.Sample("mtls-migration/httpbin.yaml"));
        Assert.True(httpbin.ExitCode == 0, httpbin.Stderr);

        _node = RuntimeNode.Start(_mesh, a.State, replicas, "node");
        // The sidecar starts on the first replica of its list.
        await EventuallyAsync(async () => (await StatusAsync(a.State)).Replicas.Single(r => r.Self).ConnectedProxies == 1,
            $"the httpbin sidecar streams from replica a\n{_node}");

        var killedAt = Stopwatch.StartNew();
        await KillAsync(a.Process);
        await EventuallyAsync(async () => (await StatusAsync(b.State)).Replicas.Single(r => r.Self).ConnectedProxies == 1,
            $"the httpbin sidecar streams from replica b\n{_node}");
        output.WriteLine($"the sidecar was on replica b {killedAt.Elapsed.TotalSeconds:F1} s after replica a was killed");
        Assert.False(_node.Process.HasExited, $"the runtime exited\n{_node}");
    }
}

using System.Net;
using Xunit.Abstractions;
using static Meshwork.Cli.Tests.Server.LoopbackSidecar;
using static Meshwork.Cli.Tests.Server.ReplicaProcesses;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// PostgreSQL restarted under a steady load through a sidecar: the data plane keeps serving, the
/// control plane says it is not ready (/readyz, `meshwork status`) and recovers by itself, and
/// what was applied before is still there and still pushed.
/// </summary>
public sealed class PostgresRestartProcessTests(ITestOutputHelper output) : SidecarOnReplicasTest
{
    [Fact]
    public async Task A_restarted_PostgreSQL_keeps_the_data_plane_serving_and_the_control_plane_recovers_by_itself_with_nothing_lost()
    {
        var (store, key) = await Mesh.CreateMeshAsync();
        var a = await Mesh.StartServerAsync("a", store, key);
        Assert.Equal(0, (await RunAsync(a.State, "apply", "-f", Mesh.Write("namespace.yaml", Manifests.FooNamespace))).ExitCode);
        Assert.Equal(0, (await RunAsync(a.State, "apply", "-f", Mesh.Write("permissive.yaml", Manifests.FooPermissive))).ExitCode);
        var sidecar = await LoopbackSidecar.StartAsync(Mesh, a.State, a.Url, App.Port);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await EventuallyAsync(async () => await ProbeAsync(http, sidecar.WorkloadUrl) == "200", $"the workload answers through its sidecar\n{sidecar}");
        Assert.Equal(HttpStatusCode.OK, await ReadyAsync(a));

        await using var load = new SteadyLoad(sidecar.WorkloadUrl, TimeSpan.FromMilliseconds(50));
        await Mesh.Postgres.StopAsync();

        await EventuallyAsync(async () => await ReadyAsync(a) == HttpStatusCode.ServiceUnavailable, "/readyz says not ready while PostgreSQL is down");
        var down = await RunAsync(a.State, "status");
        Assert.True(down.ExitCode == 2, $"meshwork status while PostgreSQL is down: exit {down.ExitCode}: {down.Stdout}{down.Stderr}");
        Assert.Contains("NOT READY", down.Stdout, StringComparison.Ordinal);
        Assert.Contains("UNREACHABLE", down.Stdout, StringComparison.Ordinal);
        var servedWhileDown = load.Succeeded;

        await Mesh.Postgres.StartAgainAsync();
        await EventuallyAsync(async () => await ReadyAsync(a) == HttpStatusCode.OK, "/readyz is ready again, nobody restarted the replica");
        await EventuallyAsync(async () => (await RunAsync(a.State, "status")).ExitCode == 0, "meshwork status says ready again");
        await load.StopAsync();

        output.WriteLine($"{load.Succeeded} requests through the sidecar, {load.Failures.Count} failed");
        Assert.True(load.Failures.Count == 0, $"requests failed while PostgreSQL restarted:\n{string.Join('\n', load.Failures.Take(20))}");
        Assert.True(servedWhileDown > 0 && load.Succeeded > servedWhileDown, $"the sidecar served {servedWhileDown} requests by the time PostgreSQL was down, {load.Succeeded} in all");

        // Nothing applied before is lost, and a change made now reaches the sidecar: the change feed came back by itself.
        var listed = await RunAsync(a.State, "get", "peerauthentication", "default", "-n", "foo", "-o", "yaml");
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains("PERMISSIVE", listed.Stdout, StringComparison.Ordinal);
        var applied = await RunAsync(a.State, "apply", "-f", Mesh.Write("strict.yaml", Manifests.FooStrict));
        Assert.True(applied.ExitCode == 0, $"apply after the restart: exit {applied.ExitCode}: {applied.Stderr}");
        await EventuallyAsync(async () => await ProbeAsync(http, sidecar.WorkloadUrl) == Refused, $"STRICT applied after the restart reaches the sidecar\n{sidecar}");
        Assert.False(sidecar.Process.HasExited, $"the sidecar exited:\n{sidecar}");
    }
}

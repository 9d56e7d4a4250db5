using Meshwork.Api;
using Meshwork.ControlPlane.Hosting.Status;
using static Meshwork.Cli.Tests.Server.ReplicaProcesses;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// `meshwork server --store postgres://…` as operators run it: real processes on one PostgreSQL,
/// asked with `meshwork status`; the leader is killed with SIGKILL and the other replica takes over.
/// </summary>
public sealed class ServerReplicaProcessTests : IAsyncLifetime
{
    private readonly ReplicaProcesses _mesh = new();

    public Task InitializeAsync() => _mesh.StartPostgresAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Killing_the_leading_replica_moves_the_lease_to_the_other_and_status_shows_it()
    {
        var (store, key) = await _mesh.CreateMeshAsync();
        var a = await _mesh.StartServerAsync("a", store, key);
        var b = await _mesh.StartServerAsync("b", store, key);

        ControlPlaneStatus status = null!;
        await EventuallyAsync(async () =>
        {
            status = await StatusAsync(b.State);
            return status.Replicas.Length == 2 && status.Replicas.Count(r => r.Leader) == 1;
        }, "two replicas, one leading");
        var text = await RunAsync(b.State, "status");
        Assert.Equal(0, text.ExitCode);
        Assert.Contains("Control plane: ready", text.Stdout, StringComparison.Ordinal);
        Assert.Contains("postgres postgres://", text.Stdout, StringComparison.Ordinal);
        var leader = status.Replicas.Single(r => r.Leader);
        var (killed, survivor) = leader.Pid == a.Process.Id ? (a, b) : (b, a);

        await KillAsync(killed.Process);

        // The killed replica's row stays (silent) until the leader forgets it; its leader flag lapses with its heartbeat.
        await EventuallyAsync(async () =>
        {
            var now = await StatusAsync(survivor.State);
            return now.Ready && now.Replicas.Single(r => r.Leader) is { Self: true };
        }, "the surviving replica alone holds the lease");
    }

    [Fact]
    public async Task A_server_on_PostgreSQL_without_the_CA_key_file_refuses_to_start_and_says_how_to_make_one()
    {
        var (store, _) = await _mesh.CreateMeshAsync();
        var result = await RunAsync(new StateDirectory(Path.Combine(_mesh.Work, "nokey")), "server", "--port", "0", "--store", store);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--ca-key-file", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("openssl rand", result.Stderr, StringComparison.Ordinal);
    }
}

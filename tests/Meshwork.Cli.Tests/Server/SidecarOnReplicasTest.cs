namespace Meshwork.Cli.Tests.Server;

/// <summary>What a test of a sidecar against control-plane replicas starts with: a PostgreSQL of its own and the workload app.</summary>
public abstract class SidecarOnReplicasTest : IAsyncLifetime
{
    protected ReplicaProcesses Mesh { get; } = new();

    protected PlainHttpApp App { get; } = new();

    public Task InitializeAsync() => Mesh.StartPostgresAsync();

    public async Task DisposeAsync()
    {
        await Mesh.DisposeAsync();
        await App.DisposeAsync();
    }
}

using System.Net;
using System.Security.Cryptography;
using Meshwork.Api;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Tests.ConfigApi;
using Meshwork.Testing.Postgres;

namespace Meshwork.ControlPlane.Tests.Replication;

/// <summary>Control-plane replicas on one PostgreSQL database, each with its own state directory, all given the same CA key file.</summary>
internal sealed class ReplicaCluster : IAsyncDisposable
{
    private readonly List<ControlPlaneFixture> _replicas = [];
    private readonly string _directory = Directory.CreateTempSubdirectory("meshwork-replicas-").FullName;

    private ReplicaCluster(string storeUrl)
    {
        StoreUrl = storeUrl;
        KeyFile = Path.Combine(_directory, "mesh-ca.key");
        File.WriteAllText(KeyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
    }

    public string StoreUrl { get; }
    public string KeyFile { get; }
    public IReadOnlyList<ControlPlaneFixture> Replicas => _replicas;

    public static async Task<ReplicaCluster> CreateAsync(PostgresServer server) =>
        new(server.Url(await server.CreateDatabaseAsync()));

    public ControlPlaneOptions Options(StateDirectory state, string? keyFile = "") =>
        ControlPlaneFixture.Options(state) with { StoreUrl = StoreUrl, CaKeyFile = keyFile == "" ? KeyFile : keyFile };

    public async Task<ControlPlaneFixture> StartReplicaAsync()
    {
        var state = new StateDirectory(Path.Combine(_directory, $"replica-{_replicas.Count}"));
        var replica = await ControlPlaneFixture.StartAsync(Options(state));
        _replicas.Add(replica);
        return replica;
    }

    public static async Task<HttpStatusCode> ReadyAsync(ControlPlaneFixture replica)
    {
        using var client = replica.RawClient(token: null);
        client.Timeout = TimeSpan.FromSeconds(20);
        using var response = await client.GetAsync(Hosting.Status.StatusEndpoints.ReadyPath);
        return response.StatusCode;
    }

    /// <summary>Polls until <paramref name="condition"/> holds; fails after <paramref name="seconds"/> with <paramref name="what"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not within {seconds} s: {what}");
            await Task.Delay(250);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas) await replica.DisposeAsync();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

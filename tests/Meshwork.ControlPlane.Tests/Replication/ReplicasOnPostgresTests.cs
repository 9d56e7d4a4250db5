using System.Net;
using Meshwork.Api;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Hosting.Replication;
using Meshwork.ControlPlane.Hosting.Status;
using Meshwork.ControlPlane.Tests.ConfigApi;
using Meshwork.ControlPlane.Tests.Store;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.Tests.Replication;

[Collection(PostgresCollection.Name)]
public sealed class ReplicasOnPostgresTests(PostgresFixture postgres)
{
    private static Namespace Namespace(string name) => new() { ApiVersion = "v1", Metadata = new ObjectMeta { Name = name } };

    private static ConfigMap ConfigMap(string ns, string name, string value) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Data = System.Collections.Immutable.ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("value", value)]),
    };

    [Fact]
    public async Task Two_replicas_serve_one_store_sign_with_one_CA_and_accept_each_others_tokens()
    {
        await using var cluster = await ReplicaCluster.CreateAsync(postgres.Server);
        var a = await cluster.StartReplicaAsync();
        var b = await cluster.StartReplicaAsync();

        Assert.Equal(File.ReadAllText(a.State.RootCertFile), File.ReadAllText(b.State.RootCertFile));
        Assert.Equal(File.ReadAllText(a.State.AdminTokenFile), File.ReadAllText(b.State.AdminTokenFile));
        var caA = a.Running.Services.GetRequiredService<CertificateAuthority.CertificateAuthority>();
        var caB = b.Running.Services.GetRequiredService<CertificateAuthority.CertificateAuthority>();
        Assert.Equal(caA.SigningCertificate.Thumbprint, caB.SigningCertificate.Thumbprint);

        using var clientA = a.Client();
        using var clientB = b.Client();
        await clientA.ApplyAsync([Namespace("foo"), ConfigMap("foo", "settings", "from-a")]);
        var read = (ConfigMap?)await clientB.GetAsync("ConfigMap", "foo", "settings");
        Assert.NotNull(read);
        Assert.Equal("from-a", read.Data["value"]);
        // B's proxies get what was applied through A: B's mesh state follows the shared change feed.
        var revision = long.Parse(read.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture);
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(b.Running.Mesh.Revision >= revision), "replica B's mesh state reaches the change applied through A");
        await clientB.PutAsync(ConfigMap("foo", "settings", "from-b") with { Metadata = read.Metadata });
        await ReplicaCluster.EventuallyAsync(async () => ((ConfigMap?)await clientA.GetAsync("ConfigMap", "foo", "settings"))?.Data["value"] == "from-b", "A reads B's write");

        var token = await clientA.CreateBootstrapTokenAsync("foo", "sleep");
        var proven = b.Running.Services.GetRequiredService<BootstrapTokenAuthority>().Validate(token.Token);
        Assert.Equal(("foo", "sleep"), proven);

        await ReplicaCluster.EventuallyAsync(async () => (await StatusAsync(clientB)).Replicas.Length == 2, "both replicas are registered");
        var status = await StatusAsync(clientB);
        Assert.True(status.Ready);
        Assert.Equal("postgres", status.Store.Backend);
        Assert.True(status.Store.Reachable);
        Assert.Contains(status.Replicas, r => r.Self && r.Url == b.Url.ToString().TrimEnd('/'));
        Assert.Contains(status.Replicas, r => !r.Self && r.Url == a.Url.ToString().TrimEnd('/'));
    }

    [Fact]
    public async Task The_leader_lease_moves_to_the_other_replica_when_its_holder_goes()
    {
        await using var cluster = await ReplicaCluster.CreateAsync(postgres.Server);
        var a = await cluster.StartReplicaAsync();
        var b = await cluster.StartReplicaAsync();
        static ReplicaHeartbeat Beat(ControlPlaneFixture f) => f.Running.Services.GetRequiredService<ReplicaHeartbeat>();
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(Beat(a).IsLeader || Beat(b).IsLeader), "one replica takes the lease");
        Assert.False(Beat(a).IsLeader && Beat(b).IsLeader, "both replicas hold the lease");
        var (holder, other) = Beat(a).IsLeader ? (a, b) : (b, a);

        // The holder's session ends as when its process is killed: PostgreSQL drops the lock with it.
        var session = Beat(holder).LeaseSessionProcessId!.Value;
        await holder.Running.StopAsync();
        await using (var connection = new Npgsql.NpgsqlConnection(postgres.Server.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var terminate = new Npgsql.NpgsqlCommand("SELECT pg_terminate_backend(@pid)", connection);
            terminate.Parameters.AddWithValue("pid", session);
            await terminate.ExecuteScalarAsync();
        }

        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(Beat(other).IsLeader), "the other replica takes the lease");
        using var client = other.Client();
        await ReplicaCluster.EventuallyAsync(async () => (await StatusAsync(client)).Replicas is [{ Self: true, Leader: true }], "status shows the remaining replica leading alone");
    }

    [Fact]
    public async Task A_restarted_PostgreSQL_makes_the_replica_not_ready_until_it_answers_again_and_nothing_is_lost()
    {
        // A server of its own: restarting the shared one would disturb the other tests.
        await using var server = await Meshwork.Testing.Postgres.PostgresServer.StartAsync();
        await using var cluster = await ReplicaCluster.CreateAsync(server);
        var replica = await cluster.StartReplicaAsync();
        using var client = replica.Client();
        await client.ApplyAsync([Namespace("foo"), ConfigMap("foo", "before", "kept")]);
        Assert.Equal(HttpStatusCode.OK, await ReplicaCluster.ReadyAsync(replica));

        await server.StopAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await ReplicaCluster.ReadyAsync(replica));
        var down = await StatusAsync(client);
        Assert.False(down.Ready);
        Assert.False(down.Store.Reachable);

        await server.StartAgainAsync();
        await ReplicaCluster.EventuallyAsync(async () => await ReplicaCluster.ReadyAsync(replica) == HttpStatusCode.OK, "the replica is ready again");
        Assert.Equal("kept", ((ConfigMap?)await client.GetAsync("ConfigMap", "foo", "before"))?.Data["value"]);
        // Writes work again and reach the replica's mesh state through the change feed, which reconnected by itself.
        var after = (await client.ApplyAsync([ConfigMap("foo", "after", "new")]))[0];
        var revision = long.Parse(after.Metadata.ResourceVersion!, System.Globalization.CultureInfo.InvariantCulture);
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(replica.Running.Mesh.Revision >= revision), "the mesh state follows the change feed after the restart");
        await ReplicaCluster.EventuallyAsync(() => Task.FromResult(((Meshwork.Store.Postgres.PostgresResourceStore)replica.Running.Store).IsListening), "the change feed listens again");
    }

    [Fact]
    public async Task A_replica_without_the_CA_key_or_with_another_one_refuses_to_start_and_says_why()
    {
        await using var cluster = await ReplicaCluster.CreateAsync(postgres.Server);
        await cluster.StartReplicaAsync();
        var state = new StateDirectory(Directory.CreateTempSubdirectory("meshwork-nokey-").FullName);
        try
        {
            var missing = await Assert.ThrowsAsync<InvalidOperationException>(() => ControlPlaneHost.StartAsync(cluster.Options(state, keyFile: null), CancellationToken.None));
            Assert.Contains("--ca-key-file", missing.Message, StringComparison.Ordinal);
            var otherKey = Path.Combine(state.Root, "other.key");
            File.WriteAllText(otherKey, Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            var wrong = await Assert.ThrowsAsync<InvalidOperationException>(() => ControlPlaneHost.StartAsync(cluster.Options(state, otherKey), CancellationToken.None));
            Assert.Contains("another CA key", wrong.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(state.RootCertFile), "a refused replica wrote a root of its own");
        }
        finally
        {
            Directory.Delete(state.Root, recursive: true);
        }
    }

    private static async Task<ControlPlaneStatus> StatusAsync(MeshApiClient client) =>
        System.Text.Json.JsonSerializer.Deserialize(await client.SendAsync(HttpMethod.Get, ControlPlaneStatus.Path, null), StatusJson.Default.ControlPlaneStatus)!;
}

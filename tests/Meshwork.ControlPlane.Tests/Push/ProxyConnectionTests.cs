using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Tests.Push;

public sealed class ProxyConnectionTests
{
    private static readonly SpiffeId Httpbin = new("cluster.local", "foo", "httpbin");
    private static readonly ProxyRegistration Registration = new() { Role = ProxyRole.Sidecar, Namespace = "foo", Pod = "httpbin-1", ServiceAccount = "httpbin" };

    private static ProxySnapshot Snapshot(string version) => new()
    {
        Version = version,
        Node = new ProxyNode { Id = "httpbin-1.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "httpbin" },
    };

    private static (ProxyRegistry Registry, ManualTimeProvider Time) NewRegistry()
    {
        var time = new ManualTimeProvider();
        return (new ProxyRegistry(time, new PushOptions { DisconnectedGracePeriod = TimeSpan.FromMinutes(5) }), time);
    }

    [Fact]
    public async Task A_slow_proxy_gets_only_the_newest_pending_snapshot()
    {
        var (registry, time) = NewRegistry();
        var connection = registry.Connect(Registration, Httpbin);

        Assert.True(connection.Offer(Snapshot("v1"), revision: 1));
        Assert.True(connection.Offer(Snapshot("v2"), revision: 2));
        Assert.True(connection.Offer(Snapshot("v3"), revision: 3));

        var next = await connection.TakeAsync(TimeSpan.FromSeconds(15), time, Guard.Token);
        Assert.Equal("v3", next?.Version);
    }

    [Fact]
    public void A_snapshot_from_an_older_mesh_revision_does_not_replace_a_newer_one()
    {
        var (registry, _) = NewRegistry();
        var connection = registry.Connect(Registration, Httpbin);

        Assert.True(connection.Offer(Snapshot("new"), revision: 5));
        Assert.False(connection.Offer(Snapshot("old"), revision: 4));
    }

    [Fact]
    public void An_unchanged_version_is_not_queued_again()
    {
        var (registry, _) = NewRegistry();
        var connection = registry.Connect(Registration, Httpbin);

        Assert.True(connection.Offer(Snapshot("v1"), revision: 1));
        Assert.False(connection.Offer(Snapshot("v1"), revision: 2));
    }

    [Fact]
    public void A_reconnecting_proxy_is_not_resent_the_version_it_runs()
    {
        var (registry, _) = NewRegistry();
        var connection = registry.Connect(Registration with { CurrentVersion = "v1" }, Httpbin);

        Assert.False(connection.Offer(Snapshot("v1"), revision: 1));
        Assert.Equal(ProxySyncState.Synced, connection.State);
    }

    [Fact]
    public async Task An_idle_stream_gets_a_heartbeat_when_the_interval_passes()
    {
        var (registry, time) = NewRegistry();
        var connection = registry.Connect(Registration, Httpbin);

        var take = connection.TakeAsync(TimeSpan.FromSeconds(15), time, Guard.Token).AsTask();
        Assert.False(take.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(15));

        Assert.Null(await take);
    }

    [Fact]
    public async Task A_snapshot_offered_while_waiting_wakes_the_writer()
    {
        var (registry, time) = NewRegistry();
        var connection = registry.Connect(Registration, Httpbin);

        var take = connection.TakeAsync(TimeSpan.FromSeconds(15), time, Guard.Token).AsTask();
        connection.Offer(Snapshot("v7"), revision: 7);

        Assert.Equal("v7", (await take)?.Version);
    }
}

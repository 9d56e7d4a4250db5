using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Push.Deltas.DeltaMeshes;

namespace Meshwork.ControlPlane.Tests.Push.Deltas;

/// <summary>Base + delta is the target, compared with a fresh full snapshot of the same mesh, however the proxy got there.</summary>
public sealed class DeltaConvergenceTests
{
    private static readonly SpiffeId HttpbinId = new("cluster.local", "foo", "httpbin");

    [Fact]
    public void Each_delta_of_a_sequence_of_changes_rebuilds_the_full_snapshot_of_that_step()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var running = steps[0];
        foreach (var target in steps.Skip(1))
        {
            var diff = SnapshotDiff.Between(running, target);
            Assert.NotNull(diff);
            running = SnapshotDeltaApplier.Apply(running, diff.Delta, out var error) ?? throw new Xunit.Sdk.XunitException(error);
            Assert.Equal(Json(target), Json(running));
            Assert.Equal(target.Version, running.Version);
        }
    }

    [Fact]
    public void A_STRICT_switch_is_sent_as_the_one_inbound_port_it_changes()
    {
        var meshes = Sequence();
        var diff = SnapshotDiff.Between(Generate(meshes[0]), Generate(meshes[1]))!;

        Assert.Equal(InboundTlsMode.Strict, Assert.Single(diff.Delta.Inbound).Mode);
        Assert.True(diff.Delta.Outbound.IsEmpty && diff.Delta.OutboundRemoved.IsEmpty && diff.Delta.Node is null && diff.Delta.TrustBundle is null);
        Assert.True(StreamLines.Delta("1", diff).Length < 2048);
    }

    [Fact]
    public void A_removed_service_is_named_and_an_added_one_is_sent_whole()
    {
        var meshes = Sequence();
        var diff = SnapshotDiff.Between(Generate(meshes[2]), Generate(meshes[3]))!;

        Assert.Equal("sleep.bar.svc.cluster.local", Assert.Single(diff.Delta.OutboundRemoved));
        Assert.Equal("echo.baz.svc.cluster.local", Assert.Single(diff.Delta.Outbound).Hostname);
    }

    [Fact]
    public void A_proxy_that_missed_a_delta_refuses_the_next_one_instead_of_drifting()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var missed = SnapshotDiff.Between(steps[1], steps[2])!;
        _ = missed; // never reaches the proxy, which still runs steps[1]
        var next = SnapshotDiff.Between(steps[2], steps[3])!;

        var applied = SnapshotDeltaApplier.Apply(steps[1], next.Delta, out var error);

        Assert.Null(applied);
        Assert.Contains(steps[1].Version, error, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_NACK_the_next_delta_starts_from_the_last_snapshot_the_proxy_accepted()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var connection = Connect(Httpbin());
        Assert.Null(Send(connection, steps[0], revision: 1));
        Ack(connection, steps[0]);
        Assert.Same(steps[0], Send(connection, steps[1], revision: 2));

        connection.RecordResponse(new SnapshotAck { ProxyId = connection.Id, Version = steps[1].Version, Nonce = "2", Error = "refused" }, DateTimeOffset.UnixEpoch);
        var deltaBase = Send(connection, steps[2], revision: 3);

        Assert.Same(steps[0], deltaBase);
        var rebuilt = SnapshotDeltaApplier.Apply(steps[0], SnapshotDiff.Between(steps[0], steps[2])!.Delta, out var error);
        Assert.Null(error);
        Assert.Equal(Json(steps[2]), Json(rebuilt!));
    }

    [Fact]
    public async Task A_resync_request_queues_the_newest_snapshot_to_go_whole()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var connection = Connect(Httpbin());
        Send(connection, steps[0], revision: 1);
        Ack(connection, steps[0]);
        Assert.Same(steps[0], Send(connection, steps[1], revision: 2));

        connection.RecordResponse(new SnapshotAck { ProxyId = connection.Id, Version = steps[1].Version, Nonce = "2", Error = "delta is for another version", Resync = true }, DateTimeOffset.UnixEpoch);

        var again = await connection.TakeAsync(TimeSpan.FromSeconds(30), TimeProvider.System, Guard.Token);
        Assert.Same(steps[1], again);
        Assert.False(connection.AlreadySent(again!));
        Assert.Null(connection.RecordSent(again!, DateTimeOffset.UnixEpoch).Base);
    }

    [Fact]
    public void A_proxy_reading_full_snapshots_only_is_never_given_a_delta_base()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var connection = Connect(Httpbin(deltas: false));
        Send(connection, steps[0], revision: 1);
        Ack(connection, steps[0]);

        Assert.Null(Send(connection, steps[1], revision: 2));
    }

    [Fact]
    public void A_proxy_that_reconnects_running_the_current_version_gets_deltas_against_it()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var connection = Connect(Httpbin(currentVersion: steps[0].Version));

        Assert.False(connection.Offer(steps[0], revision: 1));
        Assert.Same(steps[0], Send(connection, steps[1], revision: 2));
    }

    private static ProxyConnection Connect(ProxyRegistration registration)
        => new ProxyRegistry(TimeProvider.System, new PushOptions()).Connect(registration, HttpbinId);

    /// <summary>Offers and "writes" a snapshot; returns the delta base the stream would use.</summary>
    private static ProxySnapshot? Send(ProxyConnection connection, ProxySnapshot snapshot, long revision)
    {
        Assert.True(connection.Offer(snapshot, revision));
        return connection.RecordSent(snapshot, DateTimeOffset.UnixEpoch).Base;
    }

    private static void Ack(ProxyConnection connection, ProxySnapshot snapshot)
        => connection.RecordResponse(new SnapshotAck { ProxyId = connection.Id, Version = snapshot.Version, Nonce = "1" }, DateTimeOffset.UnixEpoch);
}

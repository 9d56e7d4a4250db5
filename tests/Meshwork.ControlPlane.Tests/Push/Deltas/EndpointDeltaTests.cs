using System.Collections.Immutable;
using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;
using static Meshwork.ControlPlane.Tests.Push.Deltas.DeltaMeshes;

namespace Meshwork.ControlPlane.Tests.Push.Deltas;

/// <summary>
/// Endpoint-level deltas: a Service whose endpoints alone changed goes as edits of its endpoint lists,
/// and base + edits is, element for element, the fresh full snapshot.
/// </summary>
public sealed class EndpointDeltaTests
{
    private const int Replicas = 60;

    [Fact]
    public void A_pod_added_behind_a_busy_Service_is_sent_as_that_one_endpoint_in_under_2_KB()
    {
        var before = Generate(Busy(Replicas));
        var after = Generate(Busy(Replicas + 1));

        var diff = SnapshotDiff.Between(before, after)!;

        Assert.Empty(diff.Delta.Outbound);
        var patch = Assert.Single(diff.Delta.OutboundEndpoints);
        Assert.Equal("echo.bar.svc.cluster.local", patch.Hostname);
        Assert.Empty(patch.Removed);
        Assert.Equal(PodAddress(Replicas), Assert.Single(patch.Added).Endpoint.Address);
        var line = StreamLines.Delta("1", diff);
        Assert.True(line.Length < 2048, $"{line.Length} bytes for one endpoint");
        Assert.True(line.Length * 10 < StreamLines.Full("1", after).Length, "the delta should be a small fraction of the snapshot");
        AssertRebuilds(before, diff, after);
    }

    [Fact]
    public void A_pod_deleted_a_pod_going_unready_and_a_pod_added_in_one_change_rebuild_the_full_snapshot()
    {
        var before = Busy(Replicas);
        var pods = before.Pods.Where(p => p.Metadata.Name != "echo-7")
            .Select(p => p.Metadata.Name == "echo-3" ? p with { Status = p.Status! with { ContainerStatuses = [new ContainerStatus { Name = "echo", Ready = false }] } } : p)
            .Append(EchoPod(Replicas));
        var after = before with { Pods = [.. pods] };

        var diff = SnapshotDiff.Between(Generate(before), Generate(after))!;

        var patch = Assert.Single(diff.Delta.OutboundEndpoints);
        Assert.Equal([PodAddress(3) + ":9000", PodAddress(7) + ":9000"], patch.Removed.Order(StringComparer.Ordinal));
        Assert.Equal([PodAddress(3), PodAddress(Replicas)], patch.Added.Select(a => a.Endpoint.Address));
        AssertRebuilds(Generate(before), diff, Generate(after));
    }

    [Fact]
    public void Subset_endpoints_are_edited_with_the_port_s_own()
    {
        var before = WithSubsets(Busy(Replicas));
        var after = WithSubsets(Busy(Replicas + 1));

        var diff = SnapshotDiff.Between(Generate(before), Generate(after))!;

        Assert.Empty(diff.Delta.Outbound);
        Assert.Equal([null, "v1"], diff.Delta.OutboundEndpoints.Select(p => p.Subset));
        AssertRebuilds(Generate(before), diff, Generate(after));
    }

    [Fact]
    public void A_change_beyond_endpoints_sends_the_service_whole()
    {
        var before = Busy(Replicas);
        // A pod of another service account changes the identities secure naming accepts.
        var after = before with { Pods = [.. before.Pods, EchoPod(Replicas) with { Spec = EchoPod(Replicas).Spec with { ServiceAccountName = "other" } }] };

        var diff = SnapshotDiff.Between(Generate(before), Generate(after))!;

        Assert.Empty(diff.Delta.OutboundEndpoints);
        Assert.Equal("echo.bar.svc.cluster.local", Assert.Single(diff.Delta.Outbound).Hostname);
        AssertRebuilds(Generate(before), diff, Generate(after));
    }

    [Fact]
    public void A_proxy_that_missed_an_endpoint_delta_refuses_the_next_one()
    {
        var steps = Enumerable.Range(0, 3).Select(i => Generate(Busy(Replicas + i))).ToList();
        var next = SnapshotDiff.Between(steps[1], steps[2])!;
        // Placed on steps[0] (its own version checked away): the endpoint list is one short.
        var edited = SnapshotDeltaApplier.Apply(steps[0], next.Delta with { BaseVersion = steps[0].Version }, out var error);

        Assert.Null(edited);
        Assert.Contains("does not fit", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_edit_of_an_endpoint_the_proxy_does_not_have_is_refused()
    {
        var snapshot = Generate(Busy(2));
        var delta = new SnapshotDelta
        {
            BaseVersion = snapshot.Version,
            Version = "next",
            OutboundEndpoints = [new EndpointPatch { Hostname = "echo.bar.svc.cluster.local", Port = 9000, Removed = ["127.9.9.9:9000"] }],
        };

        Assert.Null(SnapshotDeltaApplier.Apply(snapshot, delta, out var error));
        Assert.Contains("127.9.9.9:9000", error, StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_NACKed_endpoint_delta_the_next_delta_starts_from_the_last_accepted_snapshot_and_rebuilds_the_target()
    {
        var steps = Enumerable.Range(0, 3).Select(i => Generate(Busy(Replicas + i))).ToList();
        var connection = new ProxyRegistry(TimeProvider.System, new PushOptions()).Connect(Httpbin(), new SpiffeId("cluster.local", "foo", "httpbin"));
        Assert.True(connection.Offer(steps[0], 1));
        connection.RecordSent(steps[0], DateTimeOffset.UnixEpoch);
        connection.RecordResponse(new SnapshotAck { ProxyId = connection.Id, Version = steps[0].Version, Nonce = "1" }, DateTimeOffset.UnixEpoch);
        Assert.True(connection.Offer(steps[1], 2));
        Assert.Same(steps[0], connection.RecordSent(steps[1], DateTimeOffset.UnixEpoch).Base);

        connection.RecordResponse(new SnapshotAck { ProxyId = connection.Id, Version = steps[1].Version, Nonce = "2", Error = "refused" }, DateTimeOffset.UnixEpoch);
        Assert.True(connection.Offer(steps[2], 3));
        var deltaBase = connection.RecordSent(steps[2], DateTimeOffset.UnixEpoch).Base;

        Assert.Same(steps[0], deltaBase);
        var diff = SnapshotDiff.Between(deltaBase!, steps[2])!;
        Assert.Equal(2, Assert.Single(diff.Delta.OutboundEndpoints).Added.Length);
        AssertRebuilds(steps[0], diff, steps[2]);
    }

    private static void AssertRebuilds(ProxySnapshot running, DiffResult diff, ProxySnapshot fresh)
    {
        var rebuilt = SnapshotDeltaApplier.Apply(running, diff.Delta, out var error);
        Assert.Null(error);
        Assert.Equal(Json(fresh), Json(rebuilt!));
        Assert.Equal(fresh.Version, rebuilt!.Version);
    }

    /// <summary>The proxy's own httpbin, and echo in bar with <paramref name="replicas"/> pods (every odd one labelled version v2).</summary>
    private static MeshState Busy(int replicas)
    {
        var initial = Initial();
        return initial with
        {
            Services = [.. initial.Services, Service("bar", "echo", "echo", Port(9000, target: IntOrString.Of(9000)))],
            Pods = [.. initial.Pods, .. Enumerable.Range(0, replicas).Select(EchoPod)],
        };
    }

    private static Pod EchoPod(int i)
    {
        var pod = Pod("bar", $"echo-{i}", "echo", PodAddress(i), serviceAccount: "echo", ports: new ContainerPort { Port = 9000 });
        return pod with { Metadata = pod.Metadata with { Labels = pod.Metadata.Labels.Add("version", i % 2 == 1 ? "v2" : "v1") } };
    }

    private static string PodAddress(int i) => $"127.2.{i / 200}.{i % 200 + 1}";

    private static MeshState WithSubsets(MeshState mesh) => mesh with
    {
        DestinationRules = [new DestinationRule
        {
            ApiVersion = "networking.istio.io/v1",
            Metadata = Meta("bar", "echo"),
            Spec = new DestinationRuleSpec
            {
                Host = "echo.bar.svc.cluster.local",
                Subsets = [new Subset { Name = "v1", Labels = Labels(("version", "v1")) }, new Subset { Name = "v2", Labels = Labels(("version", "v2")) }],
            },
        }],
    };
}

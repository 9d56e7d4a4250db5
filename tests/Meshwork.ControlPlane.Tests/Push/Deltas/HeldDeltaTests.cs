using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Json;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Push.Deltas.DeltaMeshes;

namespace Meshwork.ControlPlane.Tests.Push.Deltas;

/// <summary>
/// A proxy reconnecting to a control plane that never sent it anything (restarted) says what it holds as part
/// hashes, and is sent only what differs; whatever does not check out gets the snapshot whole.
/// </summary>
public sealed class HeldDeltaTests
{
    private const string ProxyId = "httpbin-1.foo";

    [Fact]
    public async Task A_proxy_reconnecting_to_a_fresh_control_plane_with_what_it_holds_gets_a_delta_that_rebuilds_the_full_snapshot()
    {
        await using var server = await ProxyServerFixture.StartAsync(Strict(Initial()));
        // What the proxy runs: the last snapshot the control plane sent it before it restarted, with foo still PERMISSIVE.
        var running = Generate(Initial(), Httpbin(), server.Ca.TrustBundle.ToPem());
        await using var stream = await OpenAsync(server, Holding(running));

        var (update, bytes) = await stream.NextUpdateAsync(Guard.Token);

        var delta = Assert.IsType<SnapshotDelta>(update.Delta);
        Assert.Null(update.Snapshot);
        Assert.Equal(InboundTlsMode.Strict, Assert.Single(delta.Inbound).Mode);
        Assert.True(delta.Outbound.IsEmpty && delta.OutboundRemoved.IsEmpty && delta.TrustBundle is null, "only the changed port is resent");
        var applied = SnapshotDeltaApplier.Apply(running, delta, out var error);
        Assert.Null(error);
        var fresh = Generate(server.Mesh.Current, Httpbin(), server.Ca.TrustBundle.ToPem());
        Assert.Equal(Json(fresh), Json(applied!));
        Assert.Equal(fresh.Version, applied!.Version);
        Assert.True(bytes < Json(fresh).Length / 4, $"{bytes} bytes for one changed port");
        await stream.AckAsync(ProxyId, update);
    }

    [Fact]
    public async Task A_forged_part_list_gets_a_full_snapshot()
    {
        await using var server = await ProxyServerFixture.StartAsync(Strict(Initial()));
        var running = Generate(Initial(), Httpbin(), server.Ca.TrustBundle.ToPem());
        var held = SnapshotPartHashes.Held(running);
        // Claims to hold a sleep service other than the one of that version: the hashes no longer make the version.
        var forged = held with { Outbound = [.. held.Outbound.Select(p => p with { Hash = SnapshotPartHashes.Encode(new byte[32]) })] };
        await using var stream = await OpenAsync(server, Httpbin(currentVersion: running.Version) with { Held = forged });

        var (update, _) = await stream.NextUpdateAsync(Guard.Token);

        Assert.Null(update.Delta);
        var fresh = Generate(server.Mesh.Current, Httpbin(), server.Ca.TrustBundle.ToPem());
        Assert.Equal(Json(fresh), Json(Assert.IsType<ProxySnapshot>(update.Snapshot)));
    }

    [Fact]
    public void Part_hashes_of_another_version_than_the_one_claimed_or_of_an_unknown_scheme_give_no_delta()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var held = SnapshotPartHashes.Held(steps[1]);

        Assert.NotNull(HeldDiff.Between(steps[1].Version, held, steps[3]));
        // Stale: the parts of steps[1] offered as the base of steps[0]'s version.
        Assert.Null(HeldDiff.Between(steps[0].Version, held, steps[3]));
        Assert.Null(HeldDiff.Between(steps[1].Version, held with { Scheme = "md5-parts-v0" }, steps[3]));
        Assert.Null(HeldDiff.Between(steps[1].Version, held with { Node = "not base64" }, steps[3]));
        Assert.Null(HeldDiff.Between(steps[1].Version, held with { Inbound = [.. held.Inbound, held.Inbound[0]] }, steps[3]));
        Assert.Null(HeldDiff.Between(steps[1].Version, held with { Inbound = [held.Inbound[0] with { Key = "08080" }] }, steps[3]));
    }

    [Fact]
    public void From_the_parts_of_any_step_the_delta_rebuilds_every_other_step()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        foreach (var from in steps)
        {
            foreach (var target in steps)
            {
                var diff = HeldDiff.Between(from.Version, SnapshotPartHashes.Held(from), target);
                Assert.NotNull(diff);
                var rebuilt = SnapshotDeltaApplier.Apply(from, diff.Delta, out var error);
                Assert.Null(error);
                Assert.Equal(Json(target), Json(rebuilt!));
                // As the stream writes it: the line reads back as the same delta.
                var line = System.Text.Json.JsonSerializer.Deserialize(StreamLines.Delta("1", diff), ProtocolJson.Default.SnapshotUpdate)!;
                Assert.Equal(Json(target), Json(SnapshotDeltaApplier.Apply(from, line.Delta!, out _)!));
            }
        }
    }

    [Fact]
    public void The_held_parts_are_offered_for_the_first_line_only_and_not_kept_with_the_registration()
    {
        var steps = Sequence().Select(m => Generate(m)).ToList();
        var connection = new Meshwork.ControlPlane.Registry.ProxyRegistry(TimeProvider.System, new Meshwork.ControlPlane.Push.PushOptions())
            .Connect(Holding(steps[0]), new Meshwork.Identity.SpiffeId("cluster.local", "foo", "httpbin"));

        Assert.Null(connection.Registration.Held);
        Assert.True(connection.Offer(steps[1], revision: 1));
        Assert.NotNull(connection.RecordSent(steps[1], DateTimeOffset.UnixEpoch).Held);
        Assert.True(connection.Offer(steps[2], revision: 2));
        Assert.Null(connection.RecordSent(steps[2], DateTimeOffset.UnixEpoch).Held);
    }

    [Fact]
    public async Task A_registration_over_the_bound_is_refused_with_413()
    {
        await using var server = await ProxyServerFixture.StartAsync(Initial());
        var running = Generate(Initial(), Httpbin(), server.Ca.TrustBundle.ToPem());
        var held = SnapshotPartHashes.Held(running);
        var hash = SnapshotPartHashes.Encode(new byte[32]);
        // 30,000 services of 80-character hostnames: about 4 MB, twice the bound.
        var tooMany = held with { Outbound = [.. Enumerable.Range(0, 30_000).Select(i => new HeldPart { Key = $"service-{i:D6}.{new string('n', 48)}.svc.cluster.local", Hash = hash })] };
        var cert = await server.EnrollAsync("foo", "httpbin");
        using var client = server.Client(cert);
        using var request = new HttpRequestMessage(HttpMethod.Post, ControlPlanePaths.Stream)
        {
            Content = JsonContent.Create(Httpbin(currentVersion: running.Version) with { Held = tooMany }, ProtocolJson.Default.ProxyRegistration),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };

        using var response = await client.SendAsync(request, Guard.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains($"over {ProxyRegistration.MaxBytes} bytes", await response.Content.ReadAsStringAsync(Guard.Token), StringComparison.Ordinal);
    }

    private static ProxyRegistration Holding(ProxySnapshot running)
        => Httpbin(currentVersion: running.Version) with { Held = SnapshotPartHashes.Held(running) };

    private static async Task<TestStream> OpenAsync(ProxyServerFixture server, ProxyRegistration registration)
        => await TestStream.OpenAsync(server.Client(await server.EnrollAsync("foo", "httpbin")), registration);
}

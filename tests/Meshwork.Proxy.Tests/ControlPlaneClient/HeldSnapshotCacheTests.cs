using Meshwork.Proxy.ControlPlaneClient;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.ControlPlaneClient;

/// <summary>What the sidecar says it holds when it reconnects, and that it stays under the registration's bound.</summary>
public sealed class HeldSnapshotCacheTests
{
    [Fact]
    public void The_parts_of_the_running_snapshot_are_sent_by_key_with_their_hashes()
    {
        var running = Snapshot(services: 3);

        var held = new HeldSnapshotCache().For(running);

        Assert.NotNull(held);
        Assert.Equal(SnapshotPartHashes.Scheme, held.Scheme);
        Assert.Equal(running.Outbound.Select(s => s.Hostname), held.Outbound.Select(p => p.Key));
        Assert.Equal(["8080"], held.Inbound.Select(p => p.Key));
        // Two services that differ have different hashes: the control plane can tell which one changed.
        Assert.Equal(3, held.Outbound.Select(p => p.Hash).Distinct().Count());
    }

    [Fact]
    public void A_proxy_whose_parts_would_take_the_registration_over_its_bound_sends_only_its_version()
    {
        var running = Snapshot(services: 30_000);

        var held = new HeldSnapshotCache().For(running);

        Assert.Null(held);
        var registration = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
            new ProxyRegistration { Role = ProxyRole.Sidecar, Namespace = "foo", Pod = "httpbin-0", CurrentVersion = running.Version, Held = held, Deltas = true },
            ProtocolJson.Default.ProxyRegistration);
        Assert.True(registration.Length < ProxyRegistration.MaxBytes);
        Assert.True(SnapshotPartHashes.EstimatedHeldBytes(running) > ProxyRegistration.MaxBytes);
    }

    private static ProxySnapshot Snapshot(int services) => new()
    {
        Version = "v1",
        Node = new ProxyNode { Id = "httpbin-0.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "httpbin" },
        Inbound = [new InboundPort { Port = 8080, Protocol = "http", Mode = InboundTlsMode.Permissive }],
        Outbound = [.. Enumerable.Range(0, services).Select(i => new OutboundService
        {
            Name = $"service-{i:D6}-{new string('n', 40)}",
            Namespace = "bar",
            Hostname = $"service-{i:D6}-{new string('n', 40)}.bar.svc.cluster.local",
        })],
    };
}

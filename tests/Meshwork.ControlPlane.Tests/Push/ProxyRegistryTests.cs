using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Tests.Push;

public sealed class ProxyRegistryTests
{
    private static readonly SpiffeId Httpbin = new("cluster.local", "foo", "httpbin");
    private static readonly SpiffeId Sleep = new("cluster.local", "foo", "sleep");
    private static readonly ProxyRegistration Registration = new() { Role = ProxyRole.Sidecar, Namespace = "foo", Pod = "httpbin-1", ServiceAccount = "httpbin" };

    private readonly ManualTimeProvider _time = new();
    private readonly ProxyRegistry _registry;

    public ProxyRegistryTests() => _registry = new ProxyRegistry(_time, new PushOptions { DisconnectedGracePeriod = TimeSpan.FromMinutes(5) });

    private static SnapshotAck Ack(string version, string nonce, string? error = null) => new() { ProxyId = "httpbin-1.foo", Version = version, Nonce = nonce, Error = error };

    [Fact]
    public void Proxies_are_keyed_pod_dot_namespace()
    {
        _registry.Connect(Registration, Httpbin);

        Assert.Equal("httpbin-1.foo", Assert.Single(_registry.List()).Id);
    }

    [Fact]
    public void A_reconnect_replaces_and_closes_the_older_stream()
    {
        var first = _registry.Connect(Registration, Httpbin);
        var second = _registry.Connect(Registration, Httpbin);

        Assert.True(first.Closed.IsCancellationRequested);
        Assert.False(second.Closed.IsCancellationRequested);
        // The old stream ending must not mark the new one disconnected.
        _registry.Disconnect(first);
        Assert.Equal("STALE", Assert.Single(_registry.List()).Status);
    }

    [Fact]
    public void A_disconnected_proxy_is_listed_until_the_grace_period_ends()
    {
        var connection = _registry.Connect(Registration, Httpbin);
        _registry.Disconnect(connection);

        Assert.Equal("DISCONNECTED", Assert.Single(_registry.List()).Status);
        Assert.Empty(_registry.Connected);

        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Empty(_registry.List());
    }

    [Fact]
    public void Status_follows_sends_acks_and_nacks()
    {
        var connection = _registry.Connect(Registration, Httpbin);
        var nonce = connection.RecordSent(Snapshot("v1"), _time.GetUtcNow()).Nonce;
        Assert.Equal("STALE", Assert.Single(_registry.List()).Status);

        Assert.Equal(AckOutcome.Recorded, _registry.RecordAck(Ack("v1", nonce), Httpbin));
        Assert.Equal("SYNCED", Assert.Single(_registry.List()).Status);

        var next = connection.RecordSent(Snapshot("v2"), _time.GetUtcNow()).Nonce;
        Assert.Equal(AckOutcome.Recorded, _registry.RecordAck(Ack("v2", next, "unsupported field"), Httpbin));
        var row = Assert.Single(_registry.List());
        Assert.Equal(("NACK", "v1", "unsupported field"), (row.Status, row.AckedVersion, row.NackError));
    }

    [Fact]
    public void Only_the_proxy_itself_may_ack_for_it()
    {
        var connection = _registry.Connect(Registration, Httpbin);
        var nonce = connection.RecordSent(Snapshot("v1"), _time.GetUtcNow()).Nonce;

        Assert.Equal(AckOutcome.NotYourProxy, _registry.RecordAck(Ack("v1", nonce), Sleep));
        Assert.Equal(AckOutcome.UnknownProxy, _registry.RecordAck(Ack("v1", nonce) with { ProxyId = "other.foo" }, Httpbin));
        Assert.Equal("STALE", Assert.Single(_registry.List()).Status);
    }

    private static ProxySnapshot Snapshot(string version) => new()
    {
        Version = version,
        Node = new ProxyNode { Id = "httpbin-1.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "httpbin" },
    };
}

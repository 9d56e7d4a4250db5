using System.Net;
using System.Text.Json;
using Meshwork.Proxy.Inbound;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;

namespace Meshwork.Proxy.Tests.Inbound;

public sealed class PlaintextPeerTableTests
{
    [Fact]
    public void Counts_connections_per_port_and_source_with_first_and_last_seen()
    {
        var time = new FakeTimeProvider();
        var table = new PlaintextPeerTable(time);
        var legacy = IPAddress.Parse("127.1.0.7");
        table.Record(8000, legacy);
        var first = time.GetUtcNow();
        time.Advance(TimeSpan.FromMinutes(3));
        table.Record(8000, legacy);
        table.Record(9000, legacy);

        var peers = table.Snapshot();
        Assert.Equal(2, peers.Count);
        Assert.Equal(new PlaintextPeer(8000, legacy, 2, first, time.GetUtcNow()), peers[0]);
        Assert.Equal(9000, peers[1].Port);
        Assert.Equal(1, peers[1].Connections);
    }

    [Fact]
    public void Stays_within_its_capacity_dropping_the_caller_seen_least_recently()
    {
        var time = new FakeTimeProvider();
        var table = new PlaintextPeerTable(time, capacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            table.Record(8000, IPAddress.Parse($"127.1.0.{i}"));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var sources = table.Snapshot().Select(p => p.Source.ToString()).Order().ToList();
        Assert.Equal(["127.1.0.3", "127.1.0.4", "127.1.0.5"], sources);
    }
}

/// <summary>The sidecar reports who reached a PERMISSIVE port in plaintext, and not its mTLS callers.</summary>
public sealed class PlaintextPeersAdminTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private Pod _pod = null!;

    public async Task InitializeAsync()
    {
        var app = await _mesh.StartAppAsync();
        _pod = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), app.Port)]);
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Plaintext_callers_are_listed_with_their_address_and_count_and_mTLS_callers_are_not()
    {
        var port = _pod.InboundPort(8000);
        await MeshClient.GetAsync(_pod.Ip, port, _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle, "/ip");
        var plain = await Curl.RunAsync("--interface", "127.0.0.1", $"http://{_pod.Ip}:{port}/ip");
        Assert.Equal("200", plain.HttpCode);
        await Curl.RunAsync("--interface", "127.0.0.1", $"http://{_pod.Ip}:{port}/ip");

        using var json = JsonDocument.Parse((await Curl.RunAsync($"{_pod.Admin}plaintext_peers")).Body);
        var peer = Assert.Single(json.RootElement.GetProperty("peers").EnumerateArray());
        Assert.Equal(port, peer.GetProperty("port").GetInt32());
        Assert.Equal("127.0.0.1", peer.GetProperty("source").GetString());
        Assert.Equal(2, peer.GetProperty("connections").GetInt64());
        Assert.True(peer.GetProperty("last_seen").GetDateTimeOffset() >= peer.GetProperty("first_seen").GetDateTimeOffset());
    }
}

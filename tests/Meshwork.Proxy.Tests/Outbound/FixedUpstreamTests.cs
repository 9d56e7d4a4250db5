using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Outbound;

/// <summary>
/// The fixed outbound listener's default mode, the path the benchmark measures: HTTP/1.1 relayed on the
/// proxy's own sockets to the server sidecar over kept-alive mTLS connections.
/// </summary>
public sealed class FixedUpstreamTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Kept_alive_requests_from_many_connections_reach_the_app_over_mtls_with_xfcc_and_bodies()
    {
        var (client, listen, server) = await FixedListenerChain.StartAsync(_mesh, _app, http2: false);
        await using var _ = client;
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Curl.RunAsync(
            $"http://{listen}/headers", "-o", "/dev/null", $"http://{listen}/name", "-o", "/dev/null", $"http://{listen}/bytes/200000")));
        foreach (var result in results) Assert.Equal("200200200", result.HttpCode);

        var headers = await Curl.RunAsync($"http://{listen}/headers");
        Assert.Equal("200", headers.HttpCode);
        using var json = JsonDocument.Parse(headers.Body);
        var xfcc = json.RootElement.GetProperty("headers").GetProperty("x-forwarded-client-cert").GetString()!;
        Assert.StartsWith($"By={FixedListenerChain.HttpbinId};Hash=", xfcc);
        Assert.EndsWith(";URI=spiffe://cluster.local/ns/foo/sa/sleep", xfcc);

        await FixedListenerChain.AssertUploadsGoThroughAsync(_mesh, listen);

        // Kept alive: far fewer mTLS handshakes than requests, on both sides.
        Assert.InRange(client.Metrics.HandshakeCount("outbound", true), 1, 5);
        Assert.InRange(server.Proxy.Metrics.HandshakeCount("inbound", true), 1, 5);
    }

    [Fact]
    public async Task Stopping_the_proxy_closes_the_listener_and_its_idle_connections()
    {
        var (client, listen, _) = await FixedListenerChain.StartAsync(_mesh, _app, http2: false);
        using var idle = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await idle.ConnectAsync(listen);
        await idle.SendAsync(Encoding.ASCII.GetBytes("GET /name HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n"));
        var buffer = new byte[4096];
        var got = 0;
        while (!Encoding.ASCII.GetString(buffer, 0, got).Contains("httpbin", StringComparison.Ordinal))
        {
            var n = await idle.ReceiveAsync(buffer.AsMemory(got)).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            Assert.True(n > 0, "the connection closed before the answer");
            got += n;
        }
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, got));

        await client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        // The kept-alive connection is closed between requests, and nobody listens any more.
        var end = await idle.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(0, end);
        using var late = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(listen));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}

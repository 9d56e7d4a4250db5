using System.Net;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Reliability.Tests.Limits;

/// <summary>
/// The keep-alive idle timeout of downstream connections (Envoy's HTTP connection manager idle_timeout; 1 h by
/// default, a few seconds here): a connection that sends nothing between requests is closed once it has idled that
/// long, on a workload port and on the app's outbound listener alike, while a connection that keeps sending requests
/// is served for longer than the timeout.
/// </summary>
public sealed class IdleTimeoutTests : IAsyncLifetime
{
    private static readonly ConnectionLimits ShortIdle = ConnectionLimits.Default with { IdleTimeout = TimeSpan.FromSeconds(3) };
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public void The_default_idle_timeout_is_envoys_hour() => Assert.Equal(TimeSpan.FromHours(1), ConnectionLimits.Default.IdleTimeout);

    [Fact]
    public async Task An_idle_inbound_connection_is_closed_and_a_busy_one_outlives_the_timeout()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), _app.Port)], limits: ShortIdle);
        var endPoint = new IPEndPoint(IPAddress.Parse(server.Ip), server.InboundPort(8000));

        using var idle = await RawHttpConnection.OpenAsync(endPoint);
        await idle.SendAsync("GET /ip HTTP/1.1\r\nHost: httpbin\r\n\r\n");
        Assert.Equal(200, (await idle.ReadResponseAsync())?.Status);

        using var busy = await RawHttpConnection.OpenAsync(endPoint);
        var servedUntil = DateTime.UtcNow + 2 * ShortIdle.IdleTimeout;
        var served = 0;
        while (DateTime.UtcNow < servedUntil)
        {
            await busy.SendAsync("GET /ip HTTP/1.1\r\nHost: httpbin\r\n\r\n");
            Assert.Equal(200, (await busy.ReadResponseAsync())?.Status);
            served++;
            await Task.Delay(200);
        }

        // The idle one was closed by the proxy meanwhile (a read sees the end within the connection's patience).
        Assert.True(await idle.IsClosedAsync());
        Assert.True(served > 2);
    }

    [Fact]
    public async Task An_idle_connection_of_the_app_to_its_outbound_listener_is_closed()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, [server.SpiffeId], (server, 8000));
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service], limits: ShortIdle);

        using var idle = await RawHttpConnection.OpenAsync(client.Proxy.OutboundEndPoint);
        await idle.SendAsync("GET http://httpbin.foo:8000/ip HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
        Assert.Equal(200, (await idle.ReadResponseAsync())?.Status);
        Assert.True(await idle.IsClosedAsync());
    }
}

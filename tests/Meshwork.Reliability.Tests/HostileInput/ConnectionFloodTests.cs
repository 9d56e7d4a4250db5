using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Meshwork.Reliability.Tests.HostileInput;

/// <summary>
/// Many connections that hold a sidecar's resources: idle connections that never send a byte (the pending
/// limit, per source address), and kept-alive connections past the listener's connection limit. The excess is
/// reset at once, counted and logged in a few lines; the proxy's memory stays bounded; others are served.
/// </summary>
public sealed class ConnectionFloodTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private readonly CapturedLogs _logs = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Ten_thousand_idle_connections_from_one_address_hold_only_its_pending_share_and_others_are_served()
    {
        const int Idle = 10_000;
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), _app.Port)], logs: _logs);
        var endPoint = new IPEndPoint(IPAddress.Parse(server.Ip), server.InboundPort(8000));
        var attacker = IPAddress.Parse(Mesh.NextPodIp());
        var perSource = Math.Max(1, ConnectionLimits.Default.MaxPending / 8);

        GC.Collect();
        var rssBefore = Rss();
        var sockets = new List<Socket>(Idle);
        try
        {
            for (var batch = 0; batch < Idle; batch += 500)
            {
                var opened = await Task.WhenAll(Enumerable.Range(0, Math.Min(500, Idle - batch)).Select(_ => ConnectFromAsync(attacker, endPoint)));
                sockets.AddRange(opened.OfType<Socket>());
            }
            var refused = await ProxyStats.RefusedAtLeastAsync(server, "pending_limit", Idle - perSource, seconds: 120);
            var rssPeak = Rss();
            output.WriteLine($"{Idle} idle connections: {refused} refused (pending_limit), {perSource} held; process RSS {rssBefore / 1048576} MiB → {rssPeak / 1048576} MiB (clients and sidecar in one process)");
            Assert.InRange(refused, Idle - perSource, Idle);

            // Another client, from its own address, is served while the idle connections are open.
            var served = await Curl.RunAsync($"http://{server.Ip}:{endPoint.Port}/ip");
            Assert.Equal("200", served.HttpCode);
            Assert.InRange(_logs.Count("pending_limit"), 1, 20);
        }
        finally
        {
            foreach (var socket in sockets) socket.Dispose();
        }
    }

    [Fact]
    public async Task Connections_past_the_listener_limit_are_reset_and_an_open_connection_keeps_being_served()
    {
        const int Limit = 100, Extra = 60;
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), _app.Port)],
            limits: ConnectionLimits.Default with { MaxConnections = Limit }, logs: _logs);
        var endPoint = new IPEndPoint(IPAddress.Parse(server.Ip), server.InboundPort(8000));
        var open = new List<RawHttpConnection>();
        try
        {
            var veteran = await RawHttpConnection.OpenAsync(endPoint);
            open.Add(veteran);
            await AssertServedAsync(veteran);

            var served = 0;
            for (var i = 0; i < Limit - 1 + Extra; i++)
            {
                try
                {
                    var connection = await RawHttpConnection.OpenAsync(endPoint);
                    open.Add(connection);
                    await connection.SendAsync("GET /ip HTTP/1.1\r\nHost: httpbin\r\n\r\n");
                    if ((await connection.ReadResponseAsync())?.Status == 200) served++;
                }
                catch (Exception e) when (e is SocketException or IOException) { }
            }
            Assert.Equal(Limit - 1, served);
            Assert.Equal(Extra, await ProxyStats.RefusedAtLeastAsync(server, "connection_limit", Extra));
            Assert.InRange(_logs.Count("connection_limit"), 1, 20);
            await AssertServedAsync(veteran);
        }
        finally
        {
            foreach (var connection in open) connection.Dispose();
        }
        // Once they close, a new client is served again.
        Assert.True(await Eventually.TrueAsync(() => Curl.RunAsync($"http://{server.Ip}:{endPoint.Port}/ip").GetAwaiter().GetResult().HttpCode == "200", seconds: 60));
    }

    private static async Task AssertServedAsync(RawHttpConnection connection)
    {
        await connection.SendAsync("GET /ip HTTP/1.1\r\nHost: httpbin\r\n\r\n");
        Assert.Equal(200, (await connection.ReadResponseAsync())?.Status);
    }

    private static async Task<Socket?> ConnectFromAsync(IPAddress source, IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(server).WaitAsync(TimeSpan.FromSeconds(60));
            return socket;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            socket.Dispose();
            return null;
        }
    }

    private static long Rss()
    {
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }
}

using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Outbound;

/// <summary>TCP services: CONNECT through the client sidecar, mTLS between sidecars, L4 relay to the app.</summary>
public sealed class TcpTunnelTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private TcpEchoApp _echo = null!;

    public Task InitializeAsync() { _echo = new TcpEchoApp(); return Task.CompletedTask; }
    public async Task DisposeAsync() { await _echo.DisposeAsync(); await _mesh.DisposeAsync(); }

    private async Task<(Pod Client, Pod Server)> ChainAsync(InboundTlsMode mode, params AuthzPolicy[] policies)
    {
        var server = await _mesh.StartPodAsync("foo", "tcp-echo", inbound: [(Mesh.Inbound(9000, mode, "tcp", policies), _echo.Port)]);
        var service = Mesh.Service("tcp-echo", "foo", 9000, UpstreamTlsMode.IstioMutual, ["spiffe://cluster.local/ns/foo/sa/tcp-echo"], (server, 9000));
        service = service with { Ports = [service.Ports[0] with { Protocol = "tcp", Name = "tcp" }] };
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);
        return (client, server);
    }

    /// <summary>Opens a CONNECT tunnel, sends a line, half-closes, returns everything read back (or what happened).</summary>
    private static async Task<string> EchoThroughAsync(Pod client, string authority, string message)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(client.Proxy.OutboundEndPoint);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one) == 0) return "closed before the CONNECT response: " + head;
            head.Append((char)one[0]);
        }
        if (!head.ToString().StartsWith("HTTP/1.1 200", StringComparison.Ordinal)) return head.ToString();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(message));
        tcp.Client.Shutdown(SocketShutdown.Send);
        try
        {
            using var reader = new StreamReader(stream);
            return await reader.ReadToEndAsync();
        }
        catch (IOException e) { return "reset: " + e.Message; }
    }

    [Fact]
    public async Task Bytes_go_through_a_CONNECT_tunnel_with_mtls_between_sidecars_and_are_counted()
    {
        var (client, server) = await ChainAsync(InboundTlsMode.Strict);
        Assert.Equal("hello mesh\n", await EchoThroughAsync(client, "tcp-echo.foo:9000", "hello mesh\n"));

        Assert.True(await Eventually.TrueAsync(() => server.Proxy.Metrics.HandshakeCount("inbound", true) >= 1));
        var destination = "";
        Assert.True(await Eventually.TrueAsync(() =>
        {
            destination = Curl.RunAsync($"{server.Admin}stats/prometheus").GetAwaiter().GetResult().Body;
            return destination.Split('\n').Any(l => l.StartsWith("istio_tcp_connections_closed_total{reporter=\"destination\"", StringComparison.Ordinal) && l.EndsWith(" 1", StringComparison.Ordinal));
        }));
        Assert.Contains(destination.Split('\n'), l => l.StartsWith("istio_tcp_received_bytes_total{reporter=\"destination\"", StringComparison.Ordinal)
            && l.Contains("connection_security_policy=\"mutual_tls\"") && l.Contains("request_protocol=\"tcp\"") && l.EndsWith(" 11", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_tcp_deny_policy_closes_the_connection_right_after_connect()
    {
        var deny = new AuthzPolicy
        {
            Name = "foo/deny-sleep", Action = AuthzAction.Deny,
            Rules = [new AuthzRule { From = [new AuthzSource { Principals = ["cluster.local/ns/foo/sa/sleep"] }] }],
        };
        var (client, _) = await ChainAsync(InboundTlsMode.Strict, deny);
        var answer = await EchoThroughAsync(client, "tcp-echo.foo:9000", "hello mesh\n");
        Assert.DoesNotContain("hello mesh", answer);
    }

    [Fact]
    public async Task Plaintext_tcp_to_a_strict_port_is_reset()
    {
        var (_, server) = await ChainAsync(InboundTlsMode.Strict);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Ip, server.InboundPort(9000));
        var stream = tcp.GetStream();
        await stream.WriteAsync("hello\n"u8.ToArray());
        var e = await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            var buffer = new byte[16];
            while (await stream.ReadAsync(buffer) > 0) { }
            throw new IOException("closed without reset");
        });
        Assert.IsType<SocketException>(e.InnerException);
    }
}

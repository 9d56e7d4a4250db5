using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Reliability.Tests.Support;

namespace Meshwork.Reliability.Tests.HostileInput;

/// <summary>
/// Slowloris: clients that start request heads and never finish them, over mTLS with a valid mesh certificate
/// and in PERMISSIVE plaintext. The request-head clock answers each with 408 and closes it; nothing reaches the
/// app; a mesh client is served meanwhile.
/// </summary>
public sealed class SlowHeadTests : IAsyncLifetime
{
    private const string HostilePath = "/slow";
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(2);
    private readonly Mesh _mesh = new();
    private readonly CapturedLogs _logs = new();
    private EchoApp _app = null!;
    private Pod _server = null!;

    public async Task InitializeAsync()
    {
        _app = await _mesh.StartAppAsync();
        _server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), _app.Port)],
            limits: ConnectionLimits.Default with { RequestHeadersTimeout = HeadersTimeout }, logs: _logs);
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Fifty_slow_heads_each_way_get_408_and_close_while_a_mesh_client_is_served()
    {
        const int Each = 50;
        var endPoint = new IPEndPoint(IPAddress.Parse(_server.Ip), _server.InboundPort(8000));
        var plaintext = Enumerable.Range(0, Each).Select(_ => SlowHeadAsync(endPoint, tls: false));
        var mutual = Enumerable.Range(0, Each).Select(_ => SlowHeadAsync(endPoint, tls: true));
        var all = Task.WhenAll(plaintext.Concat(mutual));

        var served = await MeshClient.GetAsync(_server.Ip, endPoint.Port, _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle);
        Assert.StartsWith("HTTP/1.1 200", served);

        var answers = await all.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.All(answers, a => Assert.StartsWith("HTTP/1.1 408", a));
        Assert.Equal(2 * Each, await ProxyStats.RefusedAtLeastAsync(_server, "request_headers_timeout", 2 * Each));
        Assert.InRange(_logs.Count("request_headers_timeout"), 1, 20);
        Assert.Equal(0, _app.Requests(HostilePath));
    }

    [Fact]
    public async Task A_kept_alive_connection_may_idle_between_requests_longer_than_the_head_clock()
    {
        using var connection = await RawHttpConnection.OpenAsync(new IPEndPoint(IPAddress.Parse(_server.Ip), _server.InboundPort(8000)));
        await connection.SendAsync("GET /ip HTTP/1.1\r\nHost: httpbin\r\n\r\n");
        Assert.Equal(200, (await connection.ReadResponseAsync())!.Status);
        await Task.Delay(HeadersTimeout * 2);
        await connection.SendAsync("GET /ip HTTP/1.1\r\nHost: httpbin\r\n\r\n");
        Assert.Equal(200, (await connection.ReadResponseAsync())!.Status);
    }

    /// <summary>Sends a head line by line, a line a second, never the empty line; returns what the proxy answered before it closed.</summary>
    private async Task<string> SlowHeadAsync(IPEndPoint endPoint, bool tls)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(60));
        Stream stream = tcp.GetStream();
        if (tls)
        {
            var ssl = new SslStream(stream);
            await ssl.AuthenticateAsClientAsync(MeshClient.Options(_mesh.Ca.IssueWorkload("foo", "slow"), _mesh.Ca.TrustBundle, SslApplicationProtocol.Http11)).WaitAsync(TimeSpan.FromSeconds(60));
            stream = ssl;
        }
        await using (stream)
        {
            var reading = ReadToEndAsync(stream);
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {HostilePath} HTTP/1.1\r\n"));
                for (var i = 0; i < 120 && !reading.IsCompleted; i++)
                {
                    await Task.Delay(1000);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"x-slow-{i}: {i}\r\n"));
                }
            }
            catch (IOException) { }
            return await reading.WaitAsync(TimeSpan.FromMinutes(2));
        }
    }

    private static async Task<string> ReadToEndAsync(Stream stream)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0) text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        catch (IOException) { }
        return text.ToString();
    }
}

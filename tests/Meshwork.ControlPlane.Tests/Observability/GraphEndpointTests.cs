using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Meshwork.ControlPlane.Observability;
using Meshwork.ControlPlane.Tests.Push;

namespace Meshwork.ControlPlane.Tests.Observability;

/// <summary>
/// The control plane scrapes a connected proxy's metrics address over a real socket and serves the
/// graph of what it counted; a stand-in admin port serves counters that grow with every scrape.
/// </summary>
public sealed class GraphEndpointTests
{
    [Fact]
    public async Task The_graph_shows_a_growing_mutual_TLS_edge_with_a_padlock_and_the_plaintext_caller_from_unknown_without_one()
    {
        await using var admin = CountingAdminPort.Start();
        await using var server = await ProxyServerFixture.StartAsync(HttpbinProxy.Mesh());
        var cert = await server.EnrollAsync("foo", "httpbin");
        await using var stream = await TestStream.OpenAsync(server.Client(cert), HttpbinProxy.Registration(admin.Address.ToString()));
        await stream.NextAsync(Guard.Token);
        using var client = server.AdminClient();

        JsonElement edges = default;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var graph = JsonDocument.Parse(await client.GetStringAsync($"{TrafficGraph.Path}?window=1m&namespace=foo", Guard.Token));
            edges = graph.RootElement.GetProperty("edges").Clone();
            if (edges.GetArrayLength() > 0) break;
            await Task.Delay(250);
        }
        var list = edges.EnumerateArray().ToList();
        Assert.True(list.Count > 0, $"scrapes: {admin.Scrapes}, targets: {await client.GetStringAsync(PrometheusTargets.Path, Guard.Token)}");
        var mtls = Assert.Single(list, e => e.GetProperty("source").GetString() == "workload:foo/sleep");
        Assert.True(mtls.GetProperty("padlock").GetBoolean());
        Assert.True(mtls.GetProperty("requestsPerSecond").GetDouble() > 0);
        var plaintext = Assert.Single(list, e => e.GetProperty("source").GetString() == TrafficGraph.UnknownNode);
        Assert.False(plaintext.GetProperty("padlock").GetBoolean());
        Assert.Equal("service:httpbin.foo.svc.cluster.local", plaintext.GetProperty("target").GetString());
    }

    [Fact]
    public async Task The_graph_needs_the_admin_token_and_a_sane_window()
    {
        await using var server = await ProxyServerFixture.StartAsync(HttpbinProxy.Mesh());
        using var anonymous = server.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(TrafficGraph.Path, Guard.Token)).StatusCode);
        using var admin = server.AdminClient();
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"{TrafficGraph.Path}?window=2d", Guard.Token)).StatusCode);
        using var empty = JsonDocument.Parse(await admin.GetStringAsync($"{TrafficGraph.Path}?window=10m", Guard.Token));
        Assert.Equal(0, empty.RootElement.GetProperty("edges").GetArrayLength());
    }

    /// <summary>An admin port on 127.0.0.1 whose istio_requests_total grows by 10 per scrape.</summary>
    private sealed class CountingAdminPort : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _serving = Task.CompletedTask;
        private int _scrapes;

        public int Scrapes => Volatile.Read(ref _scrapes);

        public IPEndPoint Address => (IPEndPoint)_listener.LocalEndpoint;

        public static CountingAdminPort Start()
        {
            var port = new CountingAdminPort();
            port._listener.Start();
            port._serving = port.ServeAsync();
            return port;
        }

        private async Task ServeAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try { socket = await _listener.AcceptSocketAsync(_stop.Token); }
                catch (OperationCanceledException) { return; }
                using (socket)
                await using (var stream = new NetworkStream(socket))
                {
                    var head = new byte[4096];
                    var read = 0;
                    while (read < head.Length && !Encoding.ASCII.GetString(head, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var n = await stream.ReadAsync(head.AsMemory(read), _stop.Token);
                        if (n == 0) break;
                        read += n;
                    }
                    var count = 10 * Interlocked.Increment(ref _scrapes);
                    var body = Series("sleep", "foo", "mutual_tls", count) + Series("unknown", "unknown", "none", count);
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(
                        $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
                }
            }
        }

        private static string Series(string source, string sourceNs, string csp, int value) =>
            $"istio_requests_total{{reporter=\"destination\",source_workload=\"{source}\",source_workload_namespace=\"{sourceNs}\"," +
            "destination_workload=\"httpbin\",destination_workload_namespace=\"foo\",destination_service=\"httpbin.foo.svc.cluster.local\"," +
            $"response_code=\"200\",connection_security_policy=\"{csp}\"}} {value}\n";

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try { await _serving; } catch (Exception e) when (e is OperationCanceledException or SocketException or IOException) { }
            _stop.Dispose();
        }
    }
}

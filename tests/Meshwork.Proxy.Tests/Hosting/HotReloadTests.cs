using System.Net;
using System.Text.Json;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Hosting;

/// <summary>New snapshots and rotated certificates apply to new connections and never break a request in flight.</summary>
public sealed class HotReloadTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Rotating_both_sidecars_certificates_during_a_stream_of_requests_drops_none()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, ["spiffe://cluster.local/ns/foo/sa/httpbin"], (server, 8000));
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);
        var serverSerial0 = server.Proxy.State.Credentials!.Credentials.Leaf.SerialNumber;

        using var http = new HttpClient(new SocketsHttpHandler { Proxy = new WebProxy(client.OutboundProxy), UseProxy = true, PooledConnectionLifetime = TimeSpan.FromMilliseconds(50) });
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var succeeded = 0;
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await http.GetAsync("http://httpbin.foo:8000/ip");
                    var body = await response.Content.ReadAsStringAsync();
                    if (response.StatusCode != HttpStatusCode.OK) lock (failures) failures.Add($"{(int)response.StatusCode} {body}");
                    else Interlocked.Increment(ref succeeded);
                }
                catch (HttpRequestException e) { lock (failures) failures.Add(e.Message); }
            }
        })).ToList();

        // Rotate several times while requests run: in-process swaps and, for the server, through the cert files.
        for (var i = 0; i < 3; i++)
        {
            await Eventually.TrueAsync(() => Volatile.Read(ref succeeded) > (i + 1) * 20);
            client.Proxy.SetCredentials(_mesh.Ca.IssueWorkload("foo", "sleep"));
            _mesh.Ca.IssueWorkload("foo", "httpbin").WriteTo(Path.Combine(server.Directory, "certs"));
        }
        Assert.True(await Eventually.TrueAsync(() => server.Proxy.State.Credentials!.Credentials.Leaf.SerialNumber != serverSerial0));
        var before = Volatile.Read(ref succeeded);
        await Eventually.TrueAsync(() => Volatile.Read(ref succeeded) > before + 40);
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Empty(failures);
        Assert.True(succeeded > 100, $"only {succeeded} requests ran");
    }

    [Fact]
    public async Task A_new_snapshot_changes_the_mode_for_new_connections_and_a_bad_one_is_rejected()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), _app.Port)]);
        var url = $"http://{server.Ip}:{server.InboundPort(8000)}/ip";
        Assert.Equal("200", (await Curl.RunAsync(url)).HttpCode);

        var snapshotFile = Path.Combine(server.Directory, "snapshot.json");
        var current = JsonSerializer.Deserialize(await File.ReadAllTextAsync(snapshotFile), ProtocolJson.Default.ProxySnapshot)!;
        var strict = current with { Version = "v-strict", Inbound = [current.Inbound[0] with { Mode = InboundTlsMode.Strict }] };
        await File.WriteAllTextAsync(snapshotFile, JsonSerializer.Serialize(strict, ProtocolJson.Default.ProxySnapshot));
        Assert.True(await Eventually.TrueAsync(() => server.Proxy.State.Config!.Snapshot.Version == "v-strict"));
        Assert.Equal(56, (await Curl.RunAsync(url)).ExitCode);

        // A duplicate port is invalid: the proxy keeps serving the last good snapshot.
        var bad = strict with { Version = "v-bad", Inbound = [strict.Inbound[0], strict.Inbound[0]] };
        Assert.NotNull(server.Proxy.Apply(bad));
        Assert.Equal("v-strict", server.Proxy.State.Config!.Snapshot.Version);
    }

    [Fact]
    public async Task A_kept_alive_plaintext_connection_is_reset_once_its_port_turns_strict()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), _app.Port)]);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Parse(server.Ip), server.InboundPort(8000));
        var stream = tcp.GetStream();
        var request = System.Text.Encoding.ASCII.GetBytes("GET /ip HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");

        await stream.WriteAsync(request);
        Assert.StartsWith("HTTP/1.1 200", await ReadHeadAsync(stream));

        var current = server.Proxy.State.Config!.Snapshot;
        Assert.Null(server.Proxy.Apply(current with { Version = "v-strict", Inbound = [current.Inbound[0] with { Mode = InboundTlsMode.Strict }] }));

        // The same connection, now plaintext on a STRICT port: refused as a new one would be.
        var refused = false;
        try
        {
            await stream.WriteAsync(request);
            refused = (await ReadHeadAsync(stream)).Length == 0;
        }
        catch (IOException) { refused = true; }
        Assert.True(refused, "a plaintext request on a kept-alive connection was served after the port turned STRICT");
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var buffer = new byte[8192];
        var head = new System.Text.StringBuilder();
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (read == 0) break;
            head.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, read));
        }
        var text = head.ToString();
        // Drain the body so the connection is ready for the next request.
        var lengthLine = text.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is not null)
        {
            var length = int.Parse(lengthLine.Split(':')[1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            var have = text.Length - (text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4);
            while (have < length)
            {
                var read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                if (read == 0) break;
                have += read;
            }
        }
        return text;
    }
}

using System.Net;
using System.Text.Json;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>
/// sleep.foo's client sidecar, whose fixed outbound listener serves httpbin.foo:8000, in front of
/// httpbin.foo's server sidecar (STRICT) and its app: the chain the benchmark measures.
/// </summary>
public static class FixedListenerChain
{
    public const string HttpbinId = "spiffe://cluster.local/ns/foo/sa/httpbin";

    public static async Task<(ProxyHost Client, IPEndPoint Fixed, Pod Server)> StartAsync(
        Mesh mesh, EchoApp app, bool http2, string[]? accepted = null, params AuthzPolicy[] policies)
    {
        var server = await mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict, "http", policies), app.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, accepted ?? [HttpbinId], (server, 8000));
        var (client, listen) = await StartClientAsync(mesh, service, http2);
        return (client, listen, server);
    }

    /// <summary>sleep.foo's sidecar alone, its fixed listener serving <paramref name="service"/> on port 8000; the caller disposes it.</summary>
    public static async Task<(ProxyHost Client, IPEndPoint Fixed)> StartClientAsync(Mesh mesh, OutboundService service, bool http2, IReadOnlyList<VirtualHostRoutes>? routes = null)
    {
        var ip = Mesh.NextPodIp();
        var dir = mesh.Path_($"sleep-{ip}");
        Directory.CreateDirectory(dir);
        mesh.Ca.IssueWorkload("foo", "sleep").WriteTo(Path.Combine(dir, "certs"));
        var snapshotFile = Path.Combine(dir, "snapshot.json");
        await File.WriteAllTextAsync(snapshotFile, JsonSerializer.Serialize(mesh.Snapshot("foo", "sleep", ProxyRole.Sidecar, [], [service]) with { HttpRoutes = [.. routes ?? []] }, ProtocolJson.Default.ProxySnapshot));
        var listen = new IPEndPoint(IPAddress.Parse(ip), Mesh.FreePort(ip));
        var options = new ProxyOptions
        {
            CertDirectory = Path.Combine(dir, "certs"),
            SnapshotFile = snapshotFile,
            OutboundAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            AdminAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            FixedOutbound = [new FixedUpstream(listen, "httpbin.foo", 8000, Http2: http2)],
            UpstreamHttp2 = http2,
            PodName = "sleep-pod", PodNamespace = "foo", PodIp = ip, ServiceAccount = "sleep", Workload = "sleep",
            FilePollInterval = TimeSpan.FromMilliseconds(200),
        };
        var client = await ProxyHost.StartAsync(options, LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)));
        return (client, listen);
    }

    /// <summary>A 300,000-byte upload through the fixed listener, sized and chunked, arrives whole.</summary>
    public static async Task AssertUploadsGoThroughAsync(Mesh mesh, IPEndPoint listen)
    {
        var file = mesh.Path_("body.bin");
        await File.WriteAllBytesAsync(file, new byte[300_000]);
        var sized = await Curl.RunAsync("--data-binary", $"@{file}", $"http://{listen}/upload");
        Assert.Equal("200", sized.HttpCode);
        Assert.Equal("300000", sized.Body.Trim());
        var chunked = await Curl.RunAsync("-H", "Transfer-Encoding: chunked", "--data-binary", $"@{file}", $"http://{listen}/upload");
        Assert.Equal("200", chunked.HttpCode);
        Assert.Equal("300000", chunked.Body.Trim());
    }
}

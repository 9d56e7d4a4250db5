using System.Net;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Reliability.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Meshwork.Reliability.Tests.Limits;

/// <summary>
/// The proxy's snapshot size limit: a snapshot line longer than the limit (here a few hundred KiB; 16 MiB by default) is
/// NACKed with the reason, without being read whole, the last good snapshot keeps serving, and the next snapshot that
/// fits is applied, on the same stream. As Envoy with a config it rejects; the control plane sees the NACK.
/// </summary>
public sealed class SnapshotSizeLimitTests : IAsyncLifetime
{
    private const long Limit = 256 * 1024;
    private readonly Mesh _mesh = new();
    private readonly CapturedLogs _logs = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-snapshot-limit-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() { await _mesh.DisposeAsync(); Directory.Delete(_dir, true); }

    [Fact]
    public async Task An_oversized_snapshot_is_nacked_unread_and_the_last_good_one_keeps_serving()
    {
        var app = await _mesh.StartAppAsync();
        await using var controlPlane = await MockControlPlane.StartAsync(_mesh.Ca, _dir, _mesh.Ca.Id("foo", "httpbin"));
        var ip = Mesh.NextPodIp();
        var port = Mesh.FreePort(ip);
        var options = new ProxyOptions
        {
            Role = ProxyRole.Sidecar,
            ControlPlane = controlPlane.Url,
            ControlPlaneRootFile = controlPlane.RootFile,
            BootstrapToken = MockControlPlane.Token,
            CertDirectory = Path.Combine(_dir, "certs"),
            Inbound = [new InboundTarget(port, "127.0.0.1", app.Port)],
            OutboundAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            AdminAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            PodName = "httpbin-0", PodNamespace = "foo", PodIp = ip, ServiceAccount = "httpbin", Workload = "httpbin",
            MaxSnapshotBytes = Limit,
        };
        await using var proxy = await ProxyHost.StartAsync(options, LoggerFactory.Create(b => b.AddProvider(_logs)));

        var good = _mesh.Snapshot("foo", "httpbin", ProxyRole.Sidecar, [Mesh.Inbound(port, InboundTlsMode.Permissive)], []) with { Version = "v1" };
        controlPlane.Push(good);
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v1"), seconds: 120));

        // Thousands of services, as a manifest of many objects would make: well over the limit.
        var services = Enumerable.Range(0, 3000).Select(i => Mesh.Service($"svc-{i}", "foo", 80, UpstreamTlsMode.Disable, null)).ToArray();
        controlPlane.Push(good with { Version = "v-huge", Outbound = [.. services] });
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v-huge"), seconds: 120));
        var nack = controlPlane.Acks.Single(a => a.Version == "v-huge");
        Assert.Contains($"over this proxy's limit of {Limit} bytes", nack.Error);
        Assert.Equal("v1", proxy.State.Config!.Snapshot.Version);
        Assert.Equal(1, _logs.Count("v-huge"));
        Assert.Equal("200", (await Curl.RunAsync($"http://{ip}:{port}/ip")).HttpCode);

        // The stream goes on: the next snapshot that fits applies.
        controlPlane.Push(good with { Version = "v2", Inbound = [good.Inbound[0] with { Mode = InboundTlsMode.Strict }] });
        Assert.True(await Eventually.TrueAsync(() => proxy.State.Config!.Snapshot.Version == "v2", seconds: 120));
        // The proxy applies a snapshot before it sends the ACK: wait for the ACK to arrive as well.
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v2"), seconds: 120));
        Assert.Null(controlPlane.Acks.Single(a => a.Version == "v2").Error);
    }
}

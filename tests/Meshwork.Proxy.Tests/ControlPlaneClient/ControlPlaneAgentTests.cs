using System.Net;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.ControlPlaneClient;

/// <summary>A real proxy against a mock control plane: bootstrap, snapshot stream, ACK/NACK, readiness, outage.</summary>
public sealed class ControlPlaneAgentTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-cp-test-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() { await _mesh.DisposeAsync(); Directory.Delete(_dir, true); }

    [Fact]
    public async Task Bootstraps_a_certificate_streams_snapshots_acks_and_nacks_and_survives_the_control_plane_going_away()
    {
        var app = await _mesh.StartAppAsync();
        var controlPlane = await MockControlPlane.StartAsync(_mesh.Ca, _dir, _mesh.Ca.Id("foo", "httpbin"));
        var ip = Mesh.NextPodIp();
        var port = Mesh.FreePort(ip);
        var certDir = Path.Combine(_dir, "certs");
        var options = new ProxyOptions
        {
            Role = ProxyRole.Sidecar,
            ControlPlane = controlPlane.Url,
            ControlPlaneRootFile = controlPlane.RootFile,
            BootstrapToken = MockControlPlane.Token,
            CertDirectory = certDir,
            Inbound = [new InboundTarget(port, "127.0.0.1", app.Port)],
            OutboundAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            AdminAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            PodName = "httpbin-0", PodNamespace = "foo", PodIp = ip, ServiceAccount = "httpbin", Workload = "httpbin",
        };
        await using var proxy = await ProxyHost.StartAsync(options, LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)));
        using var http = new HttpClient();
        var ready = $"http://{proxy.AdminEndPoint}/ready";

        // Certificate first (through the bootstrap token), not ready until a snapshot arrives.
        Assert.True(await Eventually.TrueAsync(() => proxy.State.Credentials is not null));
        Assert.Equal("token", Assert.Single(controlPlane.CertificateRequests));
        Assert.True(File.Exists(Path.Combine(certDir, "cert-chain.pem")));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certDir, "key.pem")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(ready)).StatusCode);
        Assert.True(await Eventually.TrueAsync(() => !controlPlane.Registrations.IsEmpty));
        Assert.Equal([port], controlPlane.Registrations.First().Ports.ToArray());

        var snapshot = _mesh.Snapshot("foo", "httpbin", ProxyRole.Sidecar, [Mesh.Inbound(port, InboundTlsMode.Permissive)], []) with { Version = "v1" };
        controlPlane.Push(snapshot);
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v1")));
        Assert.Null(controlPlane.Acks.Single(a => a.Version == "v1").Error);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ready)).StatusCode);
        Assert.Equal("200", (await Curl.RunAsync($"http://{ip}:{port}/ip")).HttpCode);

        // An invalid snapshot is NACKed with the reason and the last good one stays.
        controlPlane.Push(snapshot with { Version = "v-bad", Inbound = [snapshot.Inbound[0], snapshot.Inbound[0]] });
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v-bad")));
        Assert.Contains("appears twice", controlPlane.Acks.Single(a => a.Version == "v-bad").Error);
        Assert.Equal("v1", proxy.State.Config!.Snapshot.Version);

        // A new snapshot applies to new connections.
        controlPlane.Push(snapshot with { Version = "v2", Inbound = [snapshot.Inbound[0] with { Mode = InboundTlsMode.Strict }] });
        Assert.True(await Eventually.TrueAsync(() => proxy.State.Config!.Snapshot.Version == "v2"));
        Assert.Equal(56, (await Curl.RunAsync($"http://{ip}:{port}/ip")).ExitCode);

        // The control plane goes away: the proxy keeps serving with what it has.
        await controlPlane.DisposeAsync();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(ready)).StatusCode);
        var response = await MeshClient.GetAsync(ip, port, _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle, "/ip");
        Assert.StartsWith("HTTP/1.1 200", response);
    }
}

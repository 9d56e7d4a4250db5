using System.Net;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.ControlPlaneClient;

/// <summary>A real proxy reading deltas from a mock control plane: applies them on what it runs, refuses one for another version and asks for a resync.</summary>
public sealed class ControlPlaneAgentDeltaTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("meshwork-cp-delta-test-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() { await _mesh.DisposeAsync(); Directory.Delete(_dir, true); }

    [Fact]
    public async Task A_delta_switches_a_port_to_STRICT_and_a_delta_for_another_version_is_refused_with_a_resync_request()
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
        };
        await using var proxy = await ProxyHost.StartAsync(options, LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning)));
        Assert.True(await Eventually.TrueAsync(() => !controlPlane.Registrations.IsEmpty));
        Assert.True(controlPlane.Registrations.First().Deltas);

        var snapshot = _mesh.Snapshot("foo", "httpbin", ProxyRole.Sidecar, [Mesh.Inbound(port, InboundTlsMode.Permissive)], []) with { Version = "v1" };
        controlPlane.Push(snapshot);
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v1")));
        Assert.Equal("200", (await Curl.RunAsync($"http://{ip}:{port}/ip")).HttpCode);

        controlPlane.Push(new SnapshotDelta { BaseVersion = "v1", Version = "v2", Inbound = [snapshot.Inbound[0] with { Mode = InboundTlsMode.Strict }] });
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v2")));
        Assert.Null(controlPlane.Acks.Single(a => a.Version == "v2").Error);
        Assert.Equal(56, (await Curl.RunAsync($"http://{ip}:{port}/ip")).ExitCode);

        // Built on v1, which this proxy no longer runs: refused, a resync asked for, v2 kept.
        controlPlane.Push(new SnapshotDelta { BaseVersion = "v1", Version = "v3", Inbound = [snapshot.Inbound[0]] });
        Assert.True(await Eventually.TrueAsync(() => controlPlane.Acks.Any(a => a.Version == "v3")));
        var refused = controlPlane.Acks.Single(a => a.Version == "v3");
        Assert.True(refused.Resync);
        Assert.Contains("this proxy runs v2", refused.Error, StringComparison.Ordinal);
        Assert.Equal("v2", proxy.State.Config!.Snapshot.Version);
        Assert.Equal(56, (await Curl.RunAsync($"http://{ip}:{port}/ip")).ExitCode);
    }
}

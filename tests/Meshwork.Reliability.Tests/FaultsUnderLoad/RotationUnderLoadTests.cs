using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Xunit.Abstractions;

namespace Meshwork.Reliability.Tests.FaultsUnderLoad;

/// <summary>
/// Both sidecars of a meshed pair get a new short-lived certificate every few seconds while a steady load runs
/// between them over mTLS: new connections take the new certificate, kept-alive ones finish on theirs, and not
/// one request is lost.
/// </summary>
public sealed class RotationUnderLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RotateEvery = TimeSpan.FromSeconds(2);
    private readonly Mesh _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task No_request_is_lost_while_certificates_rotate_every_two_seconds()
    {
        var app = await _mesh.StartAppAsync();
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), app.Port)],
            credentials: _mesh.Ca.IssueWorkload("foo", "httpbin", Lifetime));
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, [server.SpiffeId], (server, 8000));
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service], credentials: _mesh.Ca.IssueWorkload("foo", "sleep", Lifetime));

        var load = new SteadyLoad();
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(client.OutboundProxy, new Uri("http://httpbin.foo:8000/ip"), workers: 4, pause: TimeSpan.FromMilliseconds(20), stop.Token);

        var serials = new HashSet<string>(StringComparer.Ordinal);
        const int Rotations = 8;
        for (var i = 0; i < Rotations; i++)
        {
            await Task.Delay(RotateEvery);
            _mesh.Ca.IssueWorkload("foo", "httpbin", Lifetime).WriteTo(Path.Combine(server.Directory, "certs"));
            _mesh.Ca.IssueWorkload("foo", "sleep", Lifetime).WriteTo(Path.Combine(client.Directory, "certs"));
            if (server.Proxy.State.Credentials?.Credentials.Leaf.SerialNumber is { } serial) serials.Add(serial);
        }
        await Task.Delay(RotateEvery);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromMinutes(2));

        output.WriteLine($"rotation every {RotateEvery.TotalSeconds:0} s ({Rotations} rotations, {serials.Count} server certificates seen in use): {load.Summary}");
        Assert.True(serials.Count >= Rotations / 2, $"the server's certificate changed only {serials.Count} times");
        Assert.True(load.Sent >= 100, load.Summary);
        Assert.True(load.Failed == 0, load.Summary);
    }
}

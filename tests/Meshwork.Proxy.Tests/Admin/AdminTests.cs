using System.Text.Json;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Admin;

public sealed class AdminTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private Pod _pod = null!;

    public async Task InitializeAsync()
    {
        var app = await _mesh.StartAppAsync();
        _pod = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), app.Port)]);
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task Ready_once_it_has_a_certificate_and_a_snapshot()
    {
        var ready = await Curl.RunAsync($"{_pod.Admin}ready");
        Assert.Equal("200", ready.HttpCode);
    }

    [Fact]
    public async Task Config_dump_wraps_the_current_snapshot()
    {
        var dump = await Curl.RunAsync($"{_pod.Admin}config_dump");
        using var json = JsonDocument.Parse(dump.Body);
        var snapshot = json.RootElement.GetProperty("configs")[0].GetProperty("snapshot");
        Assert.Equal(_pod.Proxy.State.Config!.Snapshot.Version, snapshot.GetProperty("version").GetString());
        Assert.Equal("Strict", snapshot.GetProperty("inbound")[0].GetProperty("mode").GetString());
    }

    [Fact]
    public async Task Certs_shows_identity_serial_validity_and_chain_but_never_the_key()
    {
        var certs = await Curl.RunAsync($"{_pod.Admin}certs");
        Assert.DoesNotContain("PRIVATE KEY", certs.Body);
        using var json = JsonDocument.Parse(certs.Body);
        var cert = json.RootElement.GetProperty("certificates")[0];
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/httpbin", cert.GetProperty("identity").GetString());
        Assert.Equal(_pod.Proxy.State.Credentials!.Credentials.Leaf.SerialNumber.ToLowerInvariant(), cert.GetProperty("serialNumber").GetString());
        Assert.True(cert.GetProperty("certChain").GetArrayLength() >= 2);
    }

    [Fact]
    public async Task Logging_level_changes_at_run_time()
    {
        var set = await Curl.RunAsync("-X", "POST", $"{_pod.Admin}logging?level=debug");
        Assert.Equal("200", set.HttpCode);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, _pod.Proxy.LogLevel.Level);
        var bad = await Curl.RunAsync("-X", "POST", $"{_pod.Admin}logging?level=chatty");
        Assert.Equal("400", bad.HttpCode);
    }
}

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
    public async Task Stats_name_the_applied_snapshot_version_and_its_age()
    {
        var stats = await Curl.RunAsync($"{_pod.Admin}stats/prometheus");
        Assert.Contains($"meshwork_snapshot_info{{version=\"{_pod.Proxy.State.Config!.Snapshot.Version}\"}} 1\n", stats.Body, StringComparison.Ordinal);
        var age = Assert.Single(stats.Body.Split('\n'), l => l.StartsWith("meshwork_snapshot_age_seconds ", StringComparison.Ordinal));
        Assert.True(double.Parse(age["meshwork_snapshot_age_seconds ".Length..], System.Globalization.CultureInfo.InvariantCulture) >= 0, age);
        Assert.Contains("meshwork_cert_expiry_seconds ", stats.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_grep_ssl_shows_Envoys_handshake_counters_growing_with_mutual_TLS_and_refused_clients()
    {
        var port = _pod.InboundPort(8000);
        await MeshClient.GetAsync(_pod.Ip, port, _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle, "/ip");
        await MeshClient.GetAsync(_pod.Ip, port, _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle, "/ip");
        await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(_pod.Ip, port, null, _mesh.Ca.TrustBundle));

        // The failure is counted once the server side has seen the client's refusal: wait for it, bounded.
        Assert.True(await Eventually.TrueAsync(() => _pod.Proxy.Metrics.HandshakeCount("inbound", success: false) == 1, seconds: 30));
        var stats = (await Curl.RunAsync($"{_pod.Admin}stats")).Body;
        var ssl = stats.Split('\n').Where(l => l.Contains("ssl", StringComparison.Ordinal)).ToList();
        Assert.Contains("listener.0.0.0.0_15006.ssl.handshake: 2", ssl);
        Assert.Contains("listener.0.0.0.0_15006.ssl.fail_verify_no_cert: 1", ssl);
        Assert.Contains("listener.0.0.0.0_15006.ssl.fail_verify_san: 0", ssl);
        Assert.Contains("cluster.outbound.ssl.handshake: 0", ssl);
        Assert.Contains("# TYPE istio_requests_total counter", (await Curl.RunAsync($"{_pod.Admin}stats?format=prometheus")).Body, StringComparison.Ordinal);
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

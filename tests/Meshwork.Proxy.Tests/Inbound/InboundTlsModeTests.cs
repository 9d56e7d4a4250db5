using System.Security.Authentication;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;

namespace Meshwork.Proxy.Tests.Inbound;

/// <summary>What clients observe at a sidecar's inbound port under each PeerAuthentication mode (ISTIO-SEMANTICS §1.7, §6).</summary>
public sealed class InboundTlsModeTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private Task<Pod> ServerAsync(InboundTlsMode mode) =>
        _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, mode), _app.Port)]);

    [Fact]
    public async Task Strict_resets_a_plaintext_client_so_curl_prints_000_and_exits_56()
    {
        var server = await ServerAsync(InboundTlsMode.Strict);
        var result = await Curl.RunAsync($"http://{server.Ip}:{server.InboundPort(8000)}/ip");
        Assert.Equal("000", result.HttpCode);
        Assert.Equal(56, result.ExitCode);
    }

    [Fact]
    public async Task Strict_counts_each_refused_plaintext_connection_under_the_clients_address()
    {
        var server = await ServerAsync(InboundTlsMode.Strict);
        // The legacy client dials from an address of its own, as a pod without a sidecar would.
        for (var i = 0; i < 2; i++)
            Assert.Equal("000", (await Curl.RunAsync("--interface", "127.0.0.77", $"http://{server.Ip}:{server.InboundPort(8000)}/ip")).HttpCode);
        var stranger = TestCertificateAuthority.Create(name: "Foreign").IssueWorkload("foo", "sleep");
        await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(server.Ip, server.InboundPort(8000), stranger, _mesh.Ca.TrustBundle));
        Assert.True(await Eventually.TrueAsync(() => server.Proxy.Metrics.Refused.Count("tls_untrusted_chain", "127.0.0.1") >= 1));

        var stats = (await Curl.RunAsync($"{server.Admin}stats/prometheus")).Body;
        Assert.Contains("meshwork_refused_connections_total{reporter=\"destination\",reason=\"plaintext_on_strict\",source_address=\"127.0.0.77\","
            + $"destination_workload=\"httpbin\",destination_workload_namespace=\"foo\",destination_port=\"{server.InboundPort(8000)}\"}} 2\n", stats);
        Assert.Contains("meshwork_refused_connections_total{reporter=\"destination\",reason=\"tls_untrusted_chain\",source_address=\"127.0.0.1\",", stats);
        // Refused before HTTP: no request metric names the legacy client.
        Assert.DoesNotContain("istio_requests_total{", stats);
    }

    [Fact]
    public async Task Strict_serves_a_client_with_a_mesh_certificate()
    {
        var server = await ServerAsync(InboundTlsMode.Strict);
        var response = await MeshClient.GetAsync(server.Ip, server.InboundPort(8000), _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle);
        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains("URI=spiffe://cluster.local/ns/foo/sa/sleep", response);
    }

    [Fact]
    public async Task Strict_refuses_a_TLS_client_without_a_certificate()
    {
        var server = await ServerAsync(InboundTlsMode.Strict);
        await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(server.Ip, server.InboundPort(8000), null, _mesh.Ca.TrustBundle));
        Assert.True(await Eventually.TrueAsync(() => server.Proxy.Metrics.HandshakeCount("inbound", success: false) >= 1));
        Assert.Equal(0, server.Proxy.Metrics.HandshakeCount("inbound", success: true));
    }

    [Fact]
    public async Task Strict_refuses_a_certificate_from_a_foreign_CA()
    {
        var server = await ServerAsync(InboundTlsMode.Strict);
        var stranger = TestCertificateAuthority.Create(name: "Foreign").IssueWorkload("foo", "sleep");
        await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(server.Ip, server.InboundPort(8000), stranger, _mesh.Ca.TrustBundle));
        Assert.Equal(0, server.Proxy.Metrics.HandshakeCount("inbound", success: true));
    }

    [Fact]
    public async Task Strict_refuses_an_expired_certificate()
    {
        var server = await ServerAsync(InboundTlsMode.Strict);
        var expired = _mesh.Ca.IssueExpired(_mesh.Ca.Id("foo", "sleep"));
        await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(server.Ip, server.InboundPort(8000), expired, _mesh.Ca.TrustBundle));
        Assert.Equal(0, server.Proxy.Metrics.HandshakeCount("inbound", success: true));
    }

    [Fact]
    public async Task Strict_refuses_a_certificate_from_another_trust_domain_of_the_same_CA()
    {
        var server = await ServerAsync(InboundTlsMode.Strict);
        var other = _mesh.Ca.Issue(new LeafSpec { Identity = new Meshwork.Identity.SpiffeId("other.domain", "foo", "sleep") });
        await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(server.Ip, server.InboundPort(8000), other, _mesh.Ca.TrustBundle));
    }

    [Fact]
    public async Task Permissive_serves_plaintext_and_mtls_and_labels_each_in_the_metrics()
    {
        var server = await ServerAsync(InboundTlsMode.Permissive);
        var plain = await Curl.RunAsync($"http://{server.Ip}:{server.InboundPort(8000)}/headers");
        Assert.Equal("200", plain.HttpCode);
        Assert.DoesNotContain("x-forwarded-client-cert", plain.Body);

        var mtls = await MeshClient.GetAsync(server.Ip, server.InboundPort(8000), _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle);
        Assert.StartsWith("HTTP/1.1 200", mtls);

        var stats = await Curl.RunAsync($"{server.Admin}stats/prometheus");
        var lines = stats.Body.Split('\n').Where(l => l.StartsWith("istio_requests_total{", StringComparison.Ordinal)).ToList();
        Assert.Contains(lines, l => l.Contains("reporter=\"destination\"") && l.Contains("connection_security_policy=\"none\"") && l.Contains("source_principal=\"unknown\"") && l.Contains("response_code=\"200\""));
        Assert.Contains(lines, l => l.Contains("connection_security_policy=\"mutual_tls\"") && l.Contains("source_principal=\"spiffe://cluster.local/ns/foo/sa/sleep\"") && l.Contains("destination_principal=\"spiffe://cluster.local/ns/foo/sa/httpbin\""));
    }

    [Fact]
    public async Task Disable_serves_plaintext_and_resets_a_TLS_client()
    {
        var server = await ServerAsync(InboundTlsMode.Disable);
        var plain = await Curl.RunAsync($"http://{server.Ip}:{server.InboundPort(8000)}/ip");
        Assert.Equal("200", plain.HttpCode);
        var e = await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(server.Ip, server.InboundPort(8000), _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle));
        Assert.True(e is IOException or AuthenticationException, e.ToString());
    }

    [Fact]
    public async Task Client_sent_xfcc_is_dropped_on_plaintext()
    {
        var server = await ServerAsync(InboundTlsMode.Permissive);
        var plain = await Curl.RunAsync("-H", "x-forwarded-client-cert: By=forged;URI=spiffe://cluster.local/ns/admin/sa/root", $"http://{server.Ip}:{server.InboundPort(8000)}/headers");
        Assert.Equal("200", plain.HttpCode);
        Assert.DoesNotContain("forged", plain.Body);
    }
}

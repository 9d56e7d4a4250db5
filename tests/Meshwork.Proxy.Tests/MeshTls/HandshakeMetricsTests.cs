using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Identity;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>meshwork_tls_handshakes_total: one reason label per handshake failure, in both directions.</summary>
public sealed class HandshakeMetricsTests
{
    private static readonly TestCertificateAuthority Ca = TestCertificateAuthority.Shared;

    [Theory]
    [InlineData(nameof(HandshakeFailure.NoLocalCertificate), "no_certificate")]
    [InlineData(nameof(HandshakeFailure.NoClientCertificate), "no_client_certificate")]
    [InlineData(nameof(HandshakeFailure.UntrustedChain), "untrusted_chain")]
    [InlineData(nameof(HandshakeFailure.ForeignTrustDomain), "untrusted_trust_domain")]
    [InlineData(nameof(HandshakeFailure.Expired), "expired")]
    [InlineData(nameof(HandshakeFailure.IdentityMismatch), "secure_naming")]
    [InlineData(nameof(HandshakeFailure.AlpnMismatch), "alpn")]
    [InlineData(nameof(HandshakeFailure.ProtocolError), "handshake_error")]
    [InlineData(nameof(HandshakeFailure.Timeout), "timeout")]
    [InlineData(nameof(HandshakeFailure.TransportClosed), "peer_closed")]
    public void A_failure_is_counted_under_its_reason_label(string name, string label)
    {
        var failure = Enum.Parse<HandshakeFailure>(name);
        var metrics = new ProxyMetrics();
        metrics.RecordHandshake("inbound", failure);
        metrics.RecordHandshake("inbound", failure);
        metrics.RecordHandshake("inbound", null);
        var text = Render(metrics);
        Assert.Contains($"meshwork_tls_handshakes_total{{direction=\"inbound\",result=\"failure\",reason=\"{label}\"}} 2\n", text);
        Assert.Contains("meshwork_tls_handshakes_total{direction=\"inbound\",result=\"success\",reason=\"ok\"} 1\n", text);
    }

    [Fact]
    public void Every_failure_has_a_label_of_its_own_in_Prometheus_form()
    {
        var labels = Enum.GetValues<HandshakeFailure>().Select(f => f.Label()).ToList();
        Assert.Equal(labels.Count, labels.Distinct(StringComparer.Ordinal).Count());
        Assert.All(labels, l => Assert.Matches("^[a-z][a-z_]*$", l));
        Assert.DoesNotContain(HandshakeFailureLabels.Success, labels);
    }

    [Fact]
    public async Task A_sidecar_reports_each_refused_client_under_its_reason_on_the_admin_port()
    {
        await using var mesh = new Mesh();
        var app = await mesh.StartAppAsync();
        var server = await mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), app.Port)]);
        var port = server.InboundPort(8000);
        var foreignCa = TestCertificateAuthority.Create(name: "Foreign").IssueWorkload("foo", "sleep");
        var otherDomain = Ca.Issue(new LeafSpec { Identity = new SpiffeId("other.domain", "foo", "sleep") });

        foreach (var credentials in new[] { null, foreignCa, otherDomain })
            await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(server.Ip, port, credentials, Ca.TrustBundle));
        Assert.True(await Eventually.TrueAsync(() => server.Proxy.Metrics.HandshakeCount("inbound", success: false) >= 3));

        var stats = (await Curl.RunAsync($"{server.Admin}stats/prometheus")).Body;
        foreach (var reason in new[] { "no_client_certificate", "untrusted_chain", "untrusted_trust_domain" })
            Assert.Contains($"meshwork_tls_handshakes_total{{direction=\"inbound\",result=\"failure\",reason=\"{reason}\"}} 1", stats);
    }

    [Fact]
    public async Task An_upstream_with_the_wrong_identity_fails_at_the_Tls_stage_carrying_IdentityMismatch()
    {
        var state = new ProxyState("foo", TimeProvider.System);
        Assert.True(state.TryApply(new ProxySnapshot
        {
            Version = "v1",
            Node = new ProxyNode { Id = "sleep-pod.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "sleep", ServiceAccount = "sleep", SpiffeId = "spiffe://cluster.local/ns/foo/sa/sleep" },
            TrustBundle = Ca.TrustBundle.ToPem(),
            TrustDomains = ["cluster.local"],
        }, out var error), error);
        state.SetCredentials(Ca.IssueWorkload("foo", "sleep"));
        var metrics = new ProxyMetrics();
        var connector = new UpstreamConnector(state, metrics, TimeSpan.FromSeconds(30), TlsLoopback.HandshakeTimeout);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var impostor = TlsLoopback.Context(Ca.IssueWorkload("foo", "impostor"), Ca.TrustBundle);
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            var outcome = await MeshTlsServer.HandshakeAsync(accepted.GetStream(), impostor, TlsLoopback.HandshakeTimeout, CancellationToken.None);
            if (outcome is ServerHandshake.Mutual m) await m.Stream.DisposeAsync();
        });

        var service = new OutboundService { Name = "httpbin", Namespace = "foo", Hostname = "httpbin.foo.svc.cluster.local" };
        var servicePort = new OutboundPort { Port = 8000, Protocol = "http", AcceptedIdentities = ["spiffe://cluster.local/ns/foo/sa/httpbin"] };
        var endpoint = new UpstreamEndpoint { Address = "127.0.0.1", Port = ((IPEndPoint)listener.LocalEndpoint).Port, Tls = UpstreamTlsMode.IstioMutual };
        var e = await Assert.ThrowsAsync<UpstreamException>(async () => await connector.ConnectAsync(service, servicePort, endpoint, http: true, CancellationToken.None));
        await serving;

        Assert.Equal(UpstreamStage.Tls, e.Stage);
        Assert.Equal(HandshakeFailure.IdentityMismatch, e.TlsFailure);
        Assert.Contains("secure naming", e.Message);
        Assert.Contains("httpbin.foo.svc.cluster.local:8000", e.Message);
        Assert.Contains("meshwork_tls_handshakes_total{direction=\"outbound\",result=\"failure\",reason=\"secure_naming\"} 1", Render(metrics));
    }

    private static string Render(ProxyMetrics metrics)
    {
        var text = new StringBuilder();
        metrics.WritePrometheus(text);
        return text.ToString();
    }
}

using System.Text.Json;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Outbound;

/// <summary>sleep.foo → its sidecar → mTLS → httpbin.foo's sidecar → httpbin, driven by curl through the client sidecar's http_proxy.</summary>
public sealed class SidecarToSidecarTests : IAsyncLifetime
{
    private const string HttpbinId = "spiffe://cluster.local/ns/foo/sa/httpbin";
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private async Task<(Pod Client, Pod Server)> ChainAsync(InboundTlsMode mode, UpstreamTlsMode tls, string[]? accepted = null, string serverSa = "httpbin")
    {
        var server = await _mesh.StartPodAsync("foo", serverSa, inbound: [(Mesh.Inbound(8000, mode), _app.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, tls, accepted ?? [HttpbinId], (server, 8000));
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);
        return (client, server);
    }

    [Fact]
    public async Task Mtls_request_reaches_the_app_with_the_clients_identity_in_xfcc()
    {
        var (client, _) = await ChainAsync(InboundTlsMode.Strict, UpstreamTlsMode.IstioMutual);
        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/headers");
        Assert.Equal("200", result.HttpCode);
        using var json = JsonDocument.Parse(result.Body);
        var xfcc = json.RootElement.GetProperty("headers").GetProperty("x-forwarded-client-cert").GetString()!;
        Assert.StartsWith($"By={HttpbinId};Hash=", xfcc);
        Assert.EndsWith(";Subject=\"\";URI=spiffe://cluster.local/ns/foo/sa/sleep", xfcc);
        var hash = xfcc.Split(';')[1]["Hash=".Length..];
        Assert.Matches("^[0-9a-f]{64}$", hash);
        // Peer metadata is for the server sidecar only.
        Assert.DoesNotContain("x-meshwork-peer", result.Body);
    }

    [Theory]
    [InlineData("httpbin")]
    [InlineData("httpbin.foo")]
    [InlineData("httpbin.foo.svc")]
    [InlineData("httpbin.foo.svc.cluster.local")]
    public async Task Service_names_resolve_as_cluster_DNS_does(string host)
    {
        var (client, _) = await ChainAsync(InboundTlsMode.Strict, UpstreamTlsMode.IstioMutual);
        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), $"http://{host}:8000/ip");
        Assert.Equal("200", result.HttpCode);
    }

    [Fact]
    public async Task Secure_naming_refuses_a_server_with_a_valid_mesh_certificate_of_another_service_account()
    {
        var (client, _) = await ChainAsync(InboundTlsMode.Strict, UpstreamTlsMode.IstioMutual, serverSa: "impostor");
        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/ip");
        Assert.Equal("503", result.HttpCode);
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/impostor", result.Body);
        Assert.Contains(HttpbinId, result.Body);
    }

    [Fact]
    public async Task Plaintext_from_a_sidecar_to_a_strict_server_is_a_503_naming_the_reset()
    {
        var (client, _) = await ChainAsync(InboundTlsMode.Strict, UpstreamTlsMode.Disable);
        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/ip");
        Assert.Equal("503", result.HttpCode);
        Assert.Contains("reset", result.Body);
    }

    [Fact]
    public async Task Mtls_to_a_server_without_a_sidecar_is_a_503_naming_the_TLS_failure()
    {
        // The endpoint is the bare app: it answers the ClientHello with an HTTP 400 and closes.
        var service = new OutboundService
        {
            Name = "legacy", Namespace = "foo", Hostname = "legacy.foo.svc.cluster.local",
            Ports = [new OutboundPort { Port = 8000, Protocol = "http", AcceptedIdentities = [HttpbinId],
                Endpoints = [new UpstreamEndpoint { Address = "127.0.0.1", Port = _app.Port, Tls = UpstreamTlsMode.IstioMutual }] }],
        };
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);
        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://legacy.foo:8000/ip");
        Assert.Equal("503", result.HttpCode);
        Assert.Contains("TLS", result.Body);
    }

    [Fact]
    public async Task Unknown_host_is_answered_by_the_proxy_with_what_was_wrong()
    {
        var (client, _) = await ChainAsync(InboundTlsMode.Strict, UpstreamTlsMode.IstioMutual);
        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://nosuch.bar:8000/ip");
        Assert.Equal("502", result.HttpCode);
        Assert.Contains("nosuch.bar", result.Body);
        var wrongPort = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:9999/ip");
        Assert.Equal("502", wrongPort.HttpCode);
        Assert.Contains("no port 9999", wrongPort.Body);
    }

    [Fact]
    public async Task Both_reporters_count_the_request_with_Istio_labels()
    {
        var (client, server) = await ChainAsync(InboundTlsMode.Strict, UpstreamTlsMode.IstioMutual);
        Assert.Equal("200", (await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/ip")).HttpCode);

        var source = (await Curl.RunAsync($"{client.Admin}stats/prometheus")).Body;
        Assert.Contains(source.Split('\n'), l => l.StartsWith("istio_requests_total{reporter=\"source\",source_workload=\"sleep\"", StringComparison.Ordinal)
            && l.Contains("destination_service=\"httpbin.foo.svc.cluster.local\"") && l.Contains("destination_principal=\"spiffe://cluster.local/ns/foo/sa/httpbin\"")
            && l.Contains("response_code=\"200\"") && l.Contains("connection_security_policy=\"unknown\"") && l.EndsWith(" 1", StringComparison.Ordinal));
        Assert.Contains("istio_request_duration_milliseconds_bucket{reporter=\"source\"", source);

        Assert.True(await Eventually.TrueAsync(() => server.Proxy.Metrics.HandshakeCount("inbound", true) >= 1));
        var destination = (await Curl.RunAsync($"{server.Admin}stats/prometheus")).Body;
        Assert.Contains(destination.Split('\n'), l => l.StartsWith("istio_requests_total{reporter=\"destination\"", StringComparison.Ordinal)
            && l.Contains("source_workload=\"sleep\"") && l.Contains("source_app=\"sleep\"")
            && l.Contains("source_principal=\"spiffe://cluster.local/ns/foo/sa/sleep\"") && l.Contains("connection_security_policy=\"mutual_tls\""));
        Assert.Contains("meshwork_cert_expiry_seconds ", destination);
    }

    [Fact]
    public async Task Both_reporters_measure_request_bodies_as_relayed_whether_sized_or_chunked()
    {
        var (client, server) = await ChainAsync(InboundTlsMode.Strict, UpstreamTlsMode.IstioMutual);
        var sized = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "--data-binary", new string('a', 3000), "http://httpbin.foo:8000/upload");
        Assert.Equal(("200", "3000"), (sized.HttpCode, sized.Body));
        // Chunk framing is not body: 5000 bytes of payload are 5000 bytes, however they were framed.
        var chunked = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "-H", "Transfer-Encoding: chunked", "--data-binary", new string('b', 5000), "http://httpbin.foo:8000/upload");
        Assert.Equal(("200", "5000"), (chunked.HttpCode, chunked.Body));

        foreach (var (admin, reporter) in new[] { (client.Admin, "source"), (server.Admin, "destination") })
        {
            // A sidecar records a request once its response has left: wait until both are in.
            Assert.NotNull(await Contract.RequestSeries.WaitForAsync(admin, reporter, s => s["response_code"] == "200" && s.Count == 2, "istio_request_bytes_count"));
            var text = (await Curl.RunAsync($"{admin}stats/prometheus")).Body;
            double Value(string metric) => Assert.Single(Contract.RequestSeries.Parse(text, metric), s => s["reporter"] == reporter && s["response_code"] == "200").Count;
            Assert.Equal(2, Value("istio_request_bytes_count"));
            Assert.Equal(8000, Value("istio_request_bytes_sum"));
            Assert.Equal(8, Value("istio_response_bytes_sum"));
            Assert.Equal(2, Value("istio_requests_total"));
        }
    }

    [Fact]
    public async Task Round_robin_spreads_requests_over_endpoints_and_skips_one_that_refuses()
    {
        var other = await _mesh.StartAppAsync("httpbin-2");
        var a = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)]);
        var b = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), other.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, [HttpbinId], (a, 8000), (b, 8000));
        // A third endpoint where nothing listens.
        var dead = new UpstreamEndpoint { Address = "127.0.0.1", Port = Mesh.FreePort("127.0.0.1"), Tls = UpstreamTlsMode.IstioMutual };
        service = service with { Ports = [service.Ports[0] with { Endpoints = service.Ports[0].Endpoints.Add(dead) }] };
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);

        var names = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var r = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/name");
            Assert.Equal("200", r.HttpCode);
            names.Add(r.Body);
        }
        Assert.Contains("httpbin", names);
        Assert.Contains("httpbin-2", names);
    }
}

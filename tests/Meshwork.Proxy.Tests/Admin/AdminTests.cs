using System.Text.Json;
using Meshwork.Proxy.Configuration;
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
        // This pod dialled no upstream over TLS: no cluster has ssl counters yet.
        Assert.DoesNotContain(ssl, l => l.StartsWith("cluster.", StringComparison.Ordinal));
        Assert.Contains("# TYPE istio_requests_total counter", (await Curl.RunAsync($"{_pod.Admin}stats?format=prometheus")).Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_grep_ssl_counts_the_client_sidecars_handshakes_on_Envoys_upstream_cluster_name()
    {
        var app = await _mesh.StartAppAsync();
        var server = await _mesh.StartPodAsync("bar", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), app.Port)]);
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound:
            [Mesh.Service("httpbin", "bar", 8000, UpstreamTlsMode.IstioMutual, [server.SpiffeId], (server, 8000))]);
        const string Cluster = "cluster.outbound|8000||httpbin.bar.svc.cluster.local.ssl.";
        async Task<List<string>> SslAsync() =>
            (await Curl.RunAsync($"{client.Admin}stats")).Body.Split('\n').Where(l => l.Contains("ssl", StringComparison.Ordinal)).ToList();

        Assert.DoesNotContain(await SslAsync(), l => l.StartsWith(Cluster, StringComparison.Ordinal));
        Assert.Equal("200", (await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.bar:8000/ip")).HttpCode);
        // The upstream connection may be kept for the next request, as Envoy keeps it: one handshake so far.
        var ssl = await SslAsync();
        Assert.Contains(Cluster + "handshake: 1", ssl);
        Assert.Contains(Cluster + "fail_verify_san: 0", ssl);
        Assert.Contains(Cluster + "fail_verify_no_cert: 0", ssl);
    }

    [Fact]
    public async Task Config_dump_has_Envoys_shape_so_the_tutorials_jq_filter_finds_the_listeners()
    {
        var dump = await Curl.RunAsync($"{_pod.Admin}config_dump");
        using var json = JsonDocument.Parse(dump.Body);
        var configs = json.RootElement.GetProperty("configs").EnumerateArray().ToList();

        // jq '.configs[].dynamic_listeners': the inbound port's listener, STRICT so only a TLS filter chain requiring a client certificate.
        var listeners = configs.Where(c => c.TryGetProperty("dynamic_listeners", out _)).SelectMany(c => c.GetProperty("dynamic_listeners").EnumerateArray()).ToList();
        var port = _pod.InboundPort(8000);
        var inbound = Assert.Single(listeners, l => l.GetProperty("name").GetString() == $"{_pod.Ip}_{port}").GetProperty("active_state").GetProperty("listener");
        Assert.Equal("type.googleapis.com/envoy.config.listener.v3.Listener", inbound.GetProperty("@type").GetString());
        Assert.Equal(port, inbound.GetProperty("address").GetProperty("socket_address").GetProperty("port_value").GetInt32());
        var chain = Assert.Single(inbound.GetProperty("filter_chains").EnumerateArray());
        Assert.Equal("tls", chain.GetProperty("filter_chain_match").GetProperty("transport_protocol").GetString());
        Assert.True(chain.GetProperty("transport_socket").GetProperty("typed_config").GetProperty("require_client_certificate").GetBoolean());
        Assert.Contains(listeners, l => l.GetProperty("name").GetString() == "virtualOutbound"
            && l.GetProperty("active_state").GetProperty("listener").GetProperty("address").GetProperty("socket_address").GetProperty("port_value").GetInt32() == _pod.Proxy.OutboundEndPoint.Port);

        var clusters = Assert.Single(configs, c => c.GetProperty("@type").GetString() == "type.googleapis.com/envoy.admin.v3.ClustersConfigDump");
        Assert.Contains(clusters.GetProperty("dynamic_active_clusters").EnumerateArray(), c => c.GetProperty("cluster").GetProperty("name").GetString() == $"inbound|{port}||");

        // The secrets carry the workload chain and never the key.
        var secrets = Assert.Single(configs, c => c.GetProperty("@type").GetString() == "type.googleapis.com/envoy.admin.v3.SecretsConfigDump").GetProperty("dynamic_active_secrets");
        Assert.Equal(["default", "ROOTCA"], secrets.EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        Assert.DoesNotContain("PRIVATE KEY", dump.Body, StringComparison.Ordinal);

        var snapshot = Assert.Single(configs, c => c.GetProperty("@type").GetString() == "type.meshwork.dev/ProxySnapshot").GetProperty("snapshot");
        Assert.Equal(_pod.Proxy.State.Config!.Snapshot.Version, snapshot.GetProperty("version").GetString());
    }

    [Fact]
    public async Task Config_dump_names_outbound_clusters_routes_and_with_include_eds_their_endpoints_as_Istio_does()
    {
        var app = await _mesh.StartAppAsync();
        var server = await _mesh.StartPodAsync("bar", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), app.Port)]);
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound:
            [Mesh.Service("httpbin", "bar", 8000, UpstreamTlsMode.IstioMutual, [server.SpiffeId], (server, 8000))]);

        using var json = JsonDocument.Parse((await Curl.RunAsync($"{client.Admin}config_dump?include_eds")).Body);
        var configs = json.RootElement.GetProperty("configs").EnumerateArray().ToList();
        JsonElement Of(string type) => Assert.Single(configs, c => c.GetProperty("@type").GetString() == "type.googleapis.com/envoy.admin.v3." + type);

        const string name = "outbound|8000||httpbin.bar.svc.cluster.local";
        var cluster = Assert.Single(Of("ClustersConfigDump").GetProperty("dynamic_active_clusters").EnumerateArray(), c => c.GetProperty("cluster").GetProperty("name").GetString() == name).GetProperty("cluster");
        Assert.Equal("EDS", cluster.GetProperty("type").GetString());
        var san = cluster.GetProperty("transport_socket").GetProperty("typed_config").GetProperty("common_tls_context")
            .GetProperty("combined_validation_context").GetProperty("default_validation_context").GetProperty("match_subject_alt_names")[0].GetProperty("exact").GetString();
        Assert.Equal(server.SpiffeId, san);

        var route = Assert.Single(Of("RoutesConfigDump").GetProperty("dynamic_route_configs").EnumerateArray()).GetProperty("route_config");
        Assert.Equal("8000", route.GetProperty("name").GetString());
        var host = Assert.Single(route.GetProperty("virtual_hosts").EnumerateArray());
        Assert.Contains("httpbin.bar:8000", host.GetProperty("domains").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(name, host.GetProperty("routes")[0].GetProperty("route").GetProperty("cluster").GetString());

        var assignment = Assert.Single(Of("EndpointsConfigDump").GetProperty("dynamic_endpoint_configs").EnumerateArray()).GetProperty("endpoint_config");
        Assert.Equal(name, assignment.GetProperty("cluster_name").GetString());
        var endpoint = assignment.GetProperty("endpoints")[0].GetProperty("lb_endpoints")[0];
        Assert.Equal(server.Ip, endpoint.GetProperty("endpoint").GetProperty("address").GetProperty("socket_address").GetProperty("address").GetString());
        Assert.Equal("HEALTHY", endpoint.GetProperty("health_status").GetString());

        using var withoutEds = JsonDocument.Parse((await Curl.RunAsync($"{client.Admin}config_dump")).Body);
        Assert.DoesNotContain(withoutEds.RootElement.GetProperty("configs").EnumerateArray(), c => c.GetProperty("@type").GetString()!.EndsWith("EndpointsConfigDump", StringComparison.Ordinal));
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
        // As Envoy: a GET never changes the level.
        var get = await Curl.RunAsync($"{_pod.Admin}logging?level=error");
        Assert.Equal("405", get.HttpCode);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, _pod.Proxy.LogLevel.Level);
    }

    [Fact]
    public async Task Admin_requests_are_kept_alive_a_HEAD_gets_the_head_alone_and_a_body_is_refused()
    {
        using var admin = await RawHttpConnection.OpenAsync(_pod.Proxy.AdminEndPoint);
        await admin.SendAsync("GET /ready HTTP/1.1\r\nHost: localhost\r\n\r\n");
        var ready = await admin.ReadResponseAsync();
        Assert.Equal(200, ready?.Status);
        Assert.Equal("LIVE\n", ready!.Body);

        await admin.SendAsync("HEAD /certs HTTP/1.1\r\nHost: localhost\r\n\r\n");
        var head = await admin.ReadResponseAsync(bodyless: true);
        Assert.Equal(200, head?.Status);
        Assert.Contains("content-type: application/json\r\n", head!.Head, StringComparison.OrdinalIgnoreCase);

        await admin.SendAsync("GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n");
        Assert.Equal(404, (await admin.ReadResponseAsync())?.Status);

        // No admin endpoint reads a body: a chunked one (of unknown length) is refused and the connection closed.
        await admin.SendAsync("POST /logging?level=debug HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n");
        Assert.Equal(413, (await admin.ReadResponseAsync())?.Status);
        Assert.True(await admin.IsClosedAsync());
        Assert.NotEqual(Microsoft.Extensions.Logging.LogLevel.Debug, _pod.Proxy.LogLevel.Level);
    }

    [Fact]
    public async Task An_admin_body_that_never_finishes_arriving_closes_the_connection_after_the_headers_timeout()
    {
        var pod = await _mesh.StartPodAsync("foo", "trickle", limits: ConnectionLimits.Default with { RequestHeadersTimeout = TimeSpan.FromSeconds(1) });
        using var admin = await RawHttpConnection.OpenAsync(pod.Proxy.AdminEndPoint);
        // Two of the hundred bytes announced, then nothing: the idle timeout (an hour) must not be what ends it.
        await admin.SendAsync("POST /logging?level=debug HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nab");
        Assert.True(await admin.IsClosedAsync());
        Assert.NotEqual(Microsoft.Extensions.Logging.LogLevel.Debug, pod.Proxy.LogLevel.Level);
    }

    [Fact]
    public async Task An_admin_head_that_never_completes_is_answered_408_on_a_kept_alive_connection()
    {
        var pod = await _mesh.StartPodAsync("foo", "slow-head", limits: ConnectionLimits.Default with { RequestHeadersTimeout = TimeSpan.FromSeconds(1) });
        using var admin = await RawHttpConnection.OpenAsync(pod.Proxy.AdminEndPoint);
        // A first request served, so the clock that ends the second head is the one kept for the connection.
        await admin.SendAsync("GET /ready HTTP/1.1\r\nHost: localhost\r\n\r\n");
        Assert.Equal(200, (await admin.ReadResponseAsync())?.Status);

        await admin.SendAsync("GET /ready HTTP/1.1\r\nHost: loc");

        Assert.Equal(408, (await admin.ReadResponseAsync())?.Status);
        Assert.True(await admin.IsClosedAsync());
    }

    [Fact]
    public async Task A_malformed_admin_request_is_answered_400_and_the_connection_closed()
    {
        using var admin = await RawHttpConnection.OpenAsync(_pod.Proxy.AdminEndPoint);
        await admin.SendAsync("GET /ready HTTP/1.1\nHost: localhost\n\n");
        Assert.Equal(400, (await admin.ReadResponseAsync())?.Status);
        Assert.True(await admin.IsClosedAsync());
    }
}

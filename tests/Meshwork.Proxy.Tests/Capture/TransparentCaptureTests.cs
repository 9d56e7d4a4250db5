namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// Transparent capture in a real pod network: apps that know nothing of the mesh (curl without http_proxy, a raw TCP
/// client) reach Services by clusterIP over mTLS; plaintext from outside the mesh cannot reach a STRICT pod's app on
/// any port; addresses outside the mesh are passed through; the metrics port serves Prometheus and nothing else.
/// </summary>
public sealed class TransparentCaptureTests(CaptureMesh mesh) : IClassFixture<CaptureMesh>
{
    [PodNetworkFact]
    public async Task An_app_calling_a_clusterIP_without_http_proxy_reaches_the_destination_over_mTLS()
    {
        var (exit, stdout, stderr) = await PodNetwork.RunAsAppAsync(mesh.Sleep,
            "curl", "-sS", "--max-time", "60", "-w", "\n%{http_code}", $"http://{mesh.ClusterIp}:{CaptureMesh.HttpPort}/headers");

        Assert.True(exit == 0, $"curl exit {exit}: {stderr}\nsleep proxy:\n{mesh.SleepProxy.Log}");
        Assert.EndsWith("\n200", stdout);
        // The server sidecar sets XFCC only for a peer that presented a mesh certificate: the hop was mTLS, as sleep.
        Assert.Contains("x-forwarded-client-cert:", stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("URI=spiffe://cluster.local/ns/foo/sa/sleep", stdout);
    }

    [PodNetworkFact]
    public async Task A_raw_TCP_client_reaches_a_TCP_service_through_the_mesh()
    {
        var (exit, stdout, stderr) = await PodNetwork.RunAsAppAsync(mesh.Sleep, "timeout", "60", "bash", "-c",
            $"exec 3<>/dev/tcp/{mesh.ClusterIp}/{CaptureMesh.TcpPort}; printf 'ping-through-the-mesh\\n' >&3; head -n 1 <&3");

        Assert.True(exit == 0, $"exit {exit}: {stderr}\nsleep proxy:\n{mesh.SleepProxy.Log}");
        Assert.Equal("ping-through-the-mesh", stdout.Trim());
        var metrics = await CaptureMesh.RawGetAsync(mesh.Outside, mesh.Httpbin.Ip, CaptureMesh.MetricsPort, "/stats/prometheus");
        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("istio_tcp_connections_opened_total", StringComparison.Ordinal)
            && line.Contains("connection_security_policy=\"mutual_tls\"", StringComparison.Ordinal)
            && line.Contains("source_principal=\"spiffe://cluster.local/ns/foo/sa/sleep\"", StringComparison.Ordinal));
    }

    [PodNetworkFact]
    public async Task Plaintext_to_a_STRICT_pod_is_refused_at_capture_on_every_port()
    {
        var before = mesh.HttpbinHttp.Accepted;
        foreach (var port in new[] { CaptureMesh.HttpPort, CaptureMesh.UndeclaredPort })
        {
            var (exit, stdout, _) = await PodNetwork.RunAsAppAsync(mesh.Outside,
                "curl", "-sS", "--max-time", "60", "-w", "%{http_code}", $"http://{mesh.Httpbin.Ip}:{port}/");
            Assert.NotEqual(0, exit);
            Assert.Equal("000", stdout.Trim());
        }
        var (tcpExit, tcpOut, _) = await PodNetwork.RunAsAppAsync(mesh.Outside, "timeout", "60", "bash", "-c",
            $"exec 3<>/dev/tcp/{mesh.Httpbin.Ip}/{CaptureMesh.TcpPort}; printf 'plaintext\\n' >&3; head -n 1 <&3");
        Assert.DoesNotContain("plaintext", tcpOut);

        // Nothing reached the apps: the sidecar reset each connection before relaying a byte.
        Assert.Equal(before, mesh.HttpbinHttp.Accepted);
        Assert.Equal(0, mesh.HttpbinUndeclared.Accepted);
        _ = tcpExit;
    }

    [PodNetworkFact]
    public async Task A_connection_to_an_address_outside_the_mesh_is_passed_through_in_plaintext()
    {
        var (exit, stdout, stderr) = await PodNetwork.RunAsAppAsync(mesh.Sleep,
            "curl", "-sS", "--max-time", "60", "-w", "\n%{http_code}", $"http://{mesh.Outside.Ip}:{CaptureMesh.OutsidePort}/external");

        Assert.True(exit == 0, $"curl exit {exit}: {stderr}\nsleep proxy:\n{mesh.SleepProxy.Log}");
        Assert.EndsWith("\n200", stdout);
        Assert.Contains("GET /external HTTP/1.1", stdout);
        Assert.DoesNotContain("x-forwarded-client-cert", stdout, StringComparison.OrdinalIgnoreCase);
        var metrics = await CaptureMesh.RawGetAsync(mesh.Outside, mesh.Sleep.Ip, CaptureMesh.MetricsPort, "/stats/prometheus");
        Assert.Contains("destination_service_name=\"PassthroughCluster\"", metrics);
    }

    [PodNetworkFact]
    public async Task The_metrics_port_serves_prometheus_and_nothing_else_and_admin_is_not_reachable_from_other_pods()
    {
        var prometheus = await CaptureMesh.RawGetAsync(mesh.Outside, mesh.Httpbin.Ip, CaptureMesh.MetricsPort, "/stats/prometheus");
        Assert.StartsWith("HTTP/1.1 200", prometheus);
        Assert.Contains("# TYPE istio_", prometheus);
        foreach (var path in new[] { "/stats", "/config_dump", "/certs", "/logging?level=debug", "/" })
            Assert.StartsWith("HTTP/1.1 404", await CaptureMesh.RawGetAsync(mesh.Outside, mesh.Httpbin.Ip, CaptureMesh.MetricsPort, path));

        // The admin and outbound listeners are on the pod's own loopback; their ports on the pod IP are captured and refused.
        foreach (var port in new[] { 15000, 15001, 15006 })
            Assert.DoesNotContain("HTTP/1.1", await CaptureMesh.RawGetAsync(mesh.Outside, mesh.Httpbin.Ip, port, "/certs"));
    }
}

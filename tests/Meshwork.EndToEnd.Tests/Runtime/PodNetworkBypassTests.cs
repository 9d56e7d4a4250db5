using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>
/// Issue 15's bypass test in the pod network mode: the legacy pod and a plain process of the host try every port of the
/// STRICT pod httpbin.foo directly, try to send as sleep.foo or sleep.bar through their outbound listeners, and try to
/// read the mesh's secrets. None of it works.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class PodNetworkBypassTests(StrictPodNetworkMesh mesh) : IClassFixture<StrictPodNetworkMesh>
{
    /// <summary>The app's port, the Service's, and every listener a sidecar has (admin, outbound, inbound capture, health).</summary>
    private static readonly int[] PortsOfAStrictPod = [8080, 8000, 15000, 15001, 15006, 15020, 15021];
    private static readonly string[] AdminPaths = ["/ip", "/stats", "/config_dump", "/certs", "/logging?level=debug", "/ready"];

    [PodNetworkFact]
    public async Task Nothing_reaches_the_STRICT_app_or_its_sidecar_in_plaintext_from_the_legacy_pod_or_the_host_on_any_port()
    {
        var ip = mesh.Pod("foo", "httpbin").PodIp;
        var attempts = PortsOfAStrictPod.SelectMany(port => AdminPaths.Select(path => new StrictMigrationMesh.Attempt($"http://{ip}:{port}{path}"))).ToArray();
        // Capture resets each connection before a byte reaches the app or a listener of the proxy: no HTTP answer at all.
        AssertAll("000", "legacy", await mesh.CurlFromLegacyAsync(attempts));
        AssertAll("000", "host", await StrictMigrationMesh.CurlFromHostAsync(attempts));
    }

    [PodNetworkFact]
    public async Task The_metrics_port_serves_prometheus_to_other_pods_and_nothing_else()
    {
        var ip = mesh.Pod("foo", "httpbin").PodIp;
        var prometheus = new StrictMigrationMesh.Attempt($"http://{ip}:15090/stats/prometheus");
        AssertAll("200", "legacy", await mesh.CurlFromLegacyAsync(prometheus));
        AssertAll("200", "host", await StrictMigrationMesh.CurlFromHostAsync(prometheus));
        var others = AdminPaths.Select(path => new StrictMigrationMesh.Attempt($"http://{ip}:15090{path}")).ToArray();
        AssertAll("404", "legacy", await mesh.CurlFromLegacyAsync(others));
        AssertAll("404", "host", await StrictMigrationMesh.CurlFromHostAsync(others));
    }

    [PodNetworkFact]
    public async Task No_one_borrows_a_pods_identity_through_its_outbound_listener()
    {
        var httpbin = mesh.Pod("foo", "httpbin").PodIp;
        var throughPods = new[] { "foo", "bar" }
            .Select(ns => mesh.Pod(ns, "sleep").PodIp)
            .SelectMany(sleep => new[] { $"http://{sleep}:15001", $"http://{sleep}:15006", $"http://{sleep}:80" })
            .SelectMany(proxy => new[] { "--proxytunnel", "--no-proxytunnel" }.Select(tunnel => (Proxy: proxy, Tunnel: tunnel)))
            .ToList();
        AssertAll("000", "legacy", await mesh.CurlFromLegacyAsync([.. throughPods.Select(p => new StrictMigrationMesh.Attempt("http://httpbin.foo:8000/headers", "-x", p.Proxy, p.Tunnel))]));
        AssertAll("000", "host", await StrictMigrationMesh.CurlFromHostAsync([.. throughPods.Select(p => new StrictMigrationMesh.Attempt($"http://{httpbin}:8080/headers", "-x", p.Proxy, p.Tunnel))]));
    }

    private static void AssertAll(string expected, string from, IReadOnlyList<(StrictMigrationMesh.Attempt Attempt, string Code)> results) =>
        Assert.Empty(results.Where(r => r.Code != expected).Select(r => $"from {from}: {r.Attempt} gave {r.Code}, not {expected}"));

    [PodNetworkFact]
    public async Task No_pod_reads_another_pods_key_the_CA_key_or_the_admin_token()
    {
        var secrets = mesh.Secrets();
        Assert.All(secrets, file => Assert.True(File.Exists(file), $"{file} should exist on the host"));
        foreach (var (ns, deployment, container) in new[] { ("legacy", "sleep", "sleep"), ("foo", "sleep", "sleep"), ("foo", "sleep", "istio-proxy"), ("bar", "sleep", "istio-proxy"), ("foo", "httpbin", "httpbin") })
        {
            foreach (var file in secrets)
            {
                var cat = await mesh.ExecAsync(ns, deployment, container, "cat", file);
                Assert.True(cat.ExitCode != 0 && !cat.Stdout.Contains("PRIVATE KEY", StringComparison.Ordinal), $"{container} of {ns}/{deployment} read {file}");
            }
        }
        // The files are there for their owner: httpbin's sidecar reads its own key where the tutorial looks.
        var own = await mesh.ExecAsync("foo", "httpbin", "istio-proxy", "cat", "/etc/certs/key.pem");
        Assert.True(own.ExitCode == 0 && own.Stdout.Contains("PRIVATE KEY", StringComparison.Ordinal), own.ToString());
        var app = await mesh.ExecAsync("foo", "httpbin", "httpbin", "cat", "/etc/certs/key.pem");
        Assert.True(app.ExitCode != 0, "the app container of httpbin.foo read its sidecar's key");
    }
}

/// <summary>
/// The same attempts in the loopback mode, which has no privileges to isolate pods: they succeed, and this test
/// pins that down so the difference stays documented. `up` and `get pods` say so plainly.
/// </summary>
[Trait(PodNetworkPass.Trait, PodNetworkPass.LoopbackMode)]
[Collection(MeshCollection.Name)]
public sealed class LoopbackBypassTests(StrictLoopbackMesh mesh) : IClassFixture<StrictLoopbackMesh>
{
    [Fact]
    public async Task Up_and_get_pods_say_that_pods_are_not_isolated()
    {
        Assert.Contains("pods are not isolated", mesh.Up.Stdout + mesh.Up.Stderr, StringComparison.Ordinal);
        var pods = await mesh.MustAsync("get", "pods", "-n", "foo");
        Assert.Contains("pods are not isolated", pods.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_STRICT_app_answers_plaintext_at_its_own_address_from_the_legacy_pod_and_the_host()
    {
        var app = mesh.Pod("foo", "httpbin").Containers.Single(c => c.Name == "httpbin");
        var direct = new StrictMigrationMesh.Attempt($"http://{app.Environment["HOST"]}:{app.Environment["PORT"]}/ip");
        Assert.Equal("200", (await mesh.CurlFromLegacyAsync(direct)).Single().Code);
        Assert.Equal("200", (await StrictMigrationMesh.CurlFromHostAsync(direct)).Single().Code);
        // Through the sidecar, STRICT still holds for the same client.
        Assert.Equal("000", (await mesh.CurlFromLegacyAsync(new StrictMigrationMesh.Attempt($"http://{mesh.Pod("foo", "httpbin").PodIp}:8080/ip"))).Single().Code);
    }

    [Fact]
    public async Task The_legacy_pod_sends_as_sleep_foo_through_its_outbound_listener()
    {
        var sleep = mesh.Pod("foo", "sleep").PodIp;
        var borrowed = await mesh.ExecAsync("legacy", "sleep", "sleep", "curl", "-s", "-m", "10", "-x", $"http://{sleep}:15001", "http://httpbin.foo:8000/headers");
        Assert.True(borrowed.ExitCode == 0, borrowed.ToString());
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/sleep", borrowed.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_legacy_pod_reads_another_pods_key_and_the_mesh_files()
    {
        foreach (var file in mesh.Secrets())
        {
            var cat = await mesh.ExecAsync("legacy", "sleep", "sleep", "cat", file);
            Assert.True(cat.ExitCode == 0, $"{file}: {cat}");
        }
    }
}

using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>
/// Seed 003's mesh in the pod network mode: foo's pods have sidecars (kube-inject) and foo is
/// STRICT; legacy's pods have none. Apps run unchanged, with no http_proxy.
/// </summary>
public sealed class StrictPodNetworkMesh : MeshFixture
{
    protected override string PodNetwork => "netns";

    public override async Task InitializeAsync()
    {
        await UpAsync(Sample("mtls-migration/namespaces.yaml"));
        await ApplyInjectedAsync(Sample("mtls-migration/httpbin.yaml"), "foo");
        await ApplyInjectedAsync(Sample("mtls-migration/sleep.yaml"), "foo");
        // bar stays PERMISSIVE: its sidecar accepts plaintext, so only the pod boundary guards its listeners.
        await ApplyInjectedAsync(Sample("mtls-migration/sleep.yaml"), "bar");
        await MustAsync("apply", "-n", "legacy", "-f", Sample("mtls-migration/sleep.yaml"));
        await MustAsync("apply", "-n", "foo", "-f", Sample("mtls-migration/mtls-ns.yaml"));
        await Mw.EventuallyAsync(
            () => Task.FromResult(Pods("foo").Count(p => p.Ready) == 2 && Pods("bar").Count(p => p.Ready) == 1 && Pods("legacy").Count(p => p.Ready) == 1),
            TimeSpan.FromSeconds(240),
            () => Task.FromResult($"pods: {string.Join(", ", Pods("foo").Concat(Pods("bar")).Concat(Pods("legacy")).Select(p => $"{p.Name} ready={p.Ready}"))}\n{Logs()}"));
    }
}

[Collection(MeshCollection.Name)]
public sealed class PodNetworkStrictTests(StrictPodNetworkMesh mesh) : IClassFixture<StrictPodNetworkMesh>
{
    private static readonly int[] PortsOfAStrictPod = [8080, 8000, 15000, 15001, 15006, 15021];

    private Task<CommandResult> ExecAsync(string @namespace, string container, params string[] command) =>
        mesh.RunAsync(["exec", "-n", @namespace, "deploy/sleep", "-c", container, "--", .. command]);

    private string HttpbinFooIp => mesh.Pods("foo").Single(p => p.Deployment == "httpbin").PodIp;

    [Fact]
    public async Task A_meshed_client_reaches_a_STRICT_service_through_capture_and_a_legacy_client_is_reset()
    {
        var meshed = await mesh.CurlUntilAsync("foo", "http://httpbin.foo:8000/ip", "200");
        Assert.True(meshed.Code == "200", $"{meshed}\n{mesh.Logs()}");
        var legacy = await mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "000");
        Assert.Equal(("000", 56), (legacy.Code, legacy.ExitCode));
    }

    [Fact]
    public async Task Nothing_reaches_the_STRICT_app_in_plaintext_from_the_legacy_pod_or_the_host_on_any_port()
    {
        await mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "000");
        foreach (var port in PortsOfAStrictPod)
        {
            var url = $"http://{HttpbinFooIp}:{port}/ip";
            var fromPod = await mesh.CurlAsync("legacy", url);
            Assert.True(fromPod.Code != "200", $"legacy reached {url}: {fromPod}");
            var fromHost = await Mw.RunProcessAsync("curl", ["-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}", "--noproxy", "*", url], TimeSpan.FromSeconds(60));
            Assert.True(fromHost.Stdout.Trim() != "200", $"the host reached {url}: {fromHost}");
        }
    }

    [Fact]
    public async Task No_pod_borrows_another_pods_identity_through_its_outbound_listener_or_reaches_its_admin()
    {
        foreach (var ns in new[] { "foo", "bar" })
        {
            var sleep = mesh.Pods(ns).Single(p => p.Deployment == "sleep").PodIp;
            var borrowed = await ExecAsync("legacy", "sleep", "curl", "-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}",
                "-x", $"http://{sleep}:15001", "http://httpbin.foo:8000/ip");
            Assert.True(borrowed.Stdout.Trim() != "200", $"legacy used sleep.{ns}'s outbound listener: {borrowed}");
            var admin = await mesh.CurlAsync("legacy", $"http://{sleep}:15000/stats");
            Assert.True(admin.Code != "200", $"legacy reached sleep.{ns}'s admin: {admin}");
        }
    }

    [Fact]
    public async Task The_tutorials_istio_proxy_lines_run_as_written()
    {
        var stats = await ExecAsync("foo", "istio-proxy", "curl", "-s", "localhost:15000/stats");
        Assert.True(stats.ExitCode == 0 && stats.Stdout.Contains("ssl", StringComparison.Ordinal), $"{stats}\n{mesh.Logs()}");
        var chain = await ExecAsync("foo", "istio-proxy", "cat", "/etc/certs/cert-chain.pem");
        Assert.True(chain.ExitCode == 0 && chain.Stdout.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal), chain.ToString());
    }

    [Fact]
    public async Task The_app_container_cannot_read_its_sidecars_key_nor_the_mesh_files()
    {
        var sleep = mesh.Pods("foo").Single(p => p.Deployment == "sleep");
        var key = Path.Combine(mesh.State.PodDirectory("foo", sleep.Name), "etc", "certs", "key.pem");
        Assert.True(File.Exists(key), $"the sidecar wrote no key at {key}");
        foreach (var file in new[] { key, "/etc/certs/key.pem", mesh.State.AdminTokenFile })
        {
            var cat = await ExecAsync("foo", "sleep", "cat", file);
            Assert.True(cat.ExitCode != 0, $"the app container read {file}");
        }
        var legacy = await ExecAsync("legacy", "sleep", "cat", key);
        Assert.True(legacy.ExitCode != 0, "the legacy pod read sleep.foo's key");
    }
}

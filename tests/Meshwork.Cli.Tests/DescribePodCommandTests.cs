using Meshwork.Runtime.Pods;
using Meshwork.Testing;

namespace Meshwork.Cli.Tests;

/// <summary>`x describe pod` offline from the mtls-test tutorial's files, and live with a runtime pod's certificate.</summary>
public sealed class DescribePodCommandTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new(withControlPlane: true);

    public Task InitializeAsync() => _cli.InitializeAsync();

    public Task DisposeAsync() => _cli.DisposeAsync();

    private static string Sample(string file) => CliHarness.Sample(Path.Combine("mtls-test", file));

    private Task<(int Exit, string Out, string Err)> MeshworkAsync(params string[] args) => _cli.RunAsync(args);

    [Fact]
    public async Task Offline_it_shows_the_services_the_effective_mode_and_who_set_it_and_the_port_exception()
    {
        var (exit, stdout, stderr) = await MeshworkAsync("x", "describe", "pod", "deploy/httpbin", "-n", "mtls-test",
            "-f", Sample("01-test-services.yaml"), Sample("02-strict-mtls-global.yaml"), Sample("06-port-specific-mtls.yaml"));

        Assert.True(exit == 0, stderr);
        Assert.Contains("Service: httpbin\n   Port: http 8000/HTTP targets pod port 8080\n", stdout);
        Assert.Contains("   Workload mTLS mode: STRICT\n   Set by: PeerAuthentication mtls-test/httpbin-ports (workload)\n", stdout);
        Assert.Contains("   Port 8081 mTLS mode: PERMISSIVE (PeerAuthentication mtls-test/httpbin-ports (workload, port 8081))", stdout);
        Assert.Contains("SPIFFE ID: spiffe://cluster.local/ns/mtls-test/sa/httpbin", stdout);
    }

    [Fact]
    public async Task A_pod_without_a_sidecar_says_so_and_shows_no_mode()
    {
        var (exit, stdout, stderr) = await MeshworkAsync("-n", "mtls-test", "x", "describe", "pod", "plain-pod",
            "-f", Sample("01-test-services.yaml"), Sample("02-strict-mtls-global.yaml"), Sample("03-non-mesh-pod.yaml"));

        Assert.True(exit == 0, stderr);
        Assert.Contains("Sidecar: none", stdout);
        Assert.DoesNotContain("Workload mTLS mode", stdout);
    }

    [Fact]
    public async Task Live_it_reads_the_mesh_from_the_api_and_the_certificate_from_the_running_sidecar()
    {
        Assert.Equal(0, (await MeshworkAsync("apply", "-f", Sample("01-test-services.yaml"), "-f", Sample("02-strict-mtls-global.yaml"))).Exit);
        var pod = _cli.State.PodDirectory("mtls-test", "httpbin-1-aaaaa");
        new PodRecord { Namespace = "mtls-test", Name = "httpbin-1-aaaaa", Deployment = "httpbin", TemplateHash = "abc", PodIp = "127.1.0.9", Sidecar = true, CreatedAt = DateTimeOffset.UtcNow }
            .Write(pod);
        TestCertificateAuthority.Shared.IssueWorkload("mtls-test", "httpbin").WriteTo(Path.Combine(pod, "etc", "certs"));

        var (exit, stdout, stderr) = await MeshworkAsync("x", "describe", "pod", "deploy/httpbin", "-n", "mtls-test");

        Assert.True(exit == 0, stderr);
        Assert.Contains("Pod: httpbin-1-aaaaa", stdout);
        Assert.Contains("   Workload mTLS mode: STRICT\n   Set by: PeerAuthentication istio-system/default (mesh-wide)\n", stdout);
        Assert.Contains("   SPIFFE ID: spiffe://cluster.local/ns/mtls-test/sa/httpbin\n", stdout);
        Assert.Matches(@"   Expires: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stdout);
    }
}

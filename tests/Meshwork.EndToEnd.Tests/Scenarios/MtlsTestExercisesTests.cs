using Meshwork.EndToEnd.Tests.Infrastructure;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>Seed 002: auto mTLS in an injected namespace, a pod left out of the mesh, port-level PERMISSIVE.</summary>
[Collection(MeshCollection.Name)]
public sealed class MtlsTestExercisesTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    private async Task<(string Code, int ExitCode)> CurlAsync(string pod, string url, string expected)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var result = await _mesh.RunAsync("exec", "-n", "mtls-test", pod, "--", "curl", "-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}", url);
            var code = result.Stdout.Trim();
            if (code == expected || DateTime.UtcNow > deadline) return (code, result.ExitCode);
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Sidecars_talk_mTLS_and_a_port_left_permissive_still_takes_plaintext()
    {
        await _mesh.UpAsync(MeshFixture.Sample("mtls-test/01-test-services.yaml"), MeshFixture.Sample("mtls-test/03-non-mesh-pod.yaml"));

        // Exercise 1: auto mTLS between sidecars; the server sees the client's SPIFFE identity. The namespace
        // flag goes before the verb, as kubectl users type it.
        var headers = await _mesh.MustAsync("-n", "mtls-test", "exec", "-it", "deploy/curl-client", "--", "curl", "-s", "-m", "10", "http://httpbin:8000/headers");
        Assert.Contains("URI=spiffe://cluster.local/ns/mtls-test/sa/curl-client", headers.Stdout);

        // A pod outside the mesh resolves short names in its own namespace too, as cluster DNS does.
        Assert.Equal(("200", 0), await CurlAsync("plain-pod", "http://httpbin:8000/headers", "200"));

        // Exercise 5: STRICT for httpbin, PERMISSIVE on its port 8081.
        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("mtls-test/06-port-specific-mtls.yaml"));
        Assert.Equal(("000", 56), await CurlAsync("plain-pod", "http://httpbin.mtls-test:8080/headers", "000"));
        Assert.Equal(("200", 0), await CurlAsync("plain-pod", "http://httpbin.mtls-test:8081/headers", "200"));
        Assert.Equal(("200", 0), await CurlAsync("deploy/curl-client", "http://httpbin:8080/headers", "200"));

        // The tutorial's checks, on the running pods.
        var tlsCheck = await _mesh.MustAsync("authn", "tls-check", "deploy/curl-client.mtls-test", "deploy/httpbin.mtls-test");
        Assert.Matches(@"httpbin\.mtls-test\.svc\.cluster\.local:8000\s+OK\s+STRICT\s+ISTIO_MUTUAL", tlsCheck.Stdout);
        Assert.Matches(@"httpbin\.mtls-test\.svc\.cluster\.local:8081\s+OK\s+PERMISSIVE\s+ISTIO_MUTUAL", tlsCheck.Stdout);
        var describe = await _mesh.MustAsync("x", "describe", "pod", "deploy/httpbin", "-n", "mtls-test");
        Assert.Contains("Workload mTLS mode: STRICT", describe.Stdout);
        Assert.Contains("   SPIFFE ID: spiffe://cluster.local/ns/mtls-test/sa/httpbin\n", describe.Stdout);
        await _mesh.MustAsync("analyze", "-n", "mtls-test");
        var certs = await _mesh.MustAsync("x", "certs", "-n", "mtls-test", "--expiring-within", "1h");
        Assert.Contains("spiffe://cluster.local/ns/mtls-test/sa/curl-client", certs.Stdout);
    }
}

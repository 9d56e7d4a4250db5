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

        // Exercise 1: auto mTLS between sidecars; the server sees the client's SPIFFE identity.
        var headers = await _mesh.MustAsync("exec", "-n", "mtls-test", "deploy/curl-client", "--", "curl", "-s", "-m", "10", "http://httpbin:8000/headers");
        Assert.Contains("URI=spiffe://cluster.local/ns/mtls-test/sa/curl-client", headers.Stdout);

        // A pod outside the mesh resolves short names in its own namespace too, as cluster DNS does.
        Assert.Equal(("200", 0), await CurlAsync("plain-pod", "http://httpbin:8000/headers", "200"));

        // Exercise 5: STRICT for httpbin, PERMISSIVE on its port 8081.
        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("mtls-test/06-port-specific-mtls.yaml"));
        Assert.Equal(("000", 56), await CurlAsync("plain-pod", "http://httpbin.mtls-test:8080/headers", "000"));
        Assert.Equal(("200", 0), await CurlAsync("plain-pod", "http://httpbin.mtls-test:8081/headers", "200"));
        Assert.Equal(("200", 0), await CurlAsync("deploy/curl-client", "http://httpbin:8080/headers", "200"));
    }
}

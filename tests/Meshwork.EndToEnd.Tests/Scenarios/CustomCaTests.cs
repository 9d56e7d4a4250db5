using Meshwork.EndToEnd.Tests.Infrastructure;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>
/// Seed 002, exercise 8: a custom CA made with `meshwork ca`, plugged in as the cacerts secret, the
/// control plane restarted onto it (`rollout restart deployment/istiod -n istio-system`), traffic
/// kept flowing while the trust bundle carries both roots, and a renewed pod's Issuer is the new CA.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class CustomCaTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    /// <summary>The tutorial's pipeline: proxy-config secret -o json | jq | base64 -d | openssl x509 -text -noout | grep Issuer.</summary>
    private async Task<string> IssuerOfHttpbinAsync()
    {
        var pipeline = $"'{Mw.Executable}' --state-dir '{_mesh.StatePath}' proxy-config secret deploy/httpbin -n mtls-test -o json | " +
            "jq -r '.dynamicActiveSecrets[0].secret.tlsCertificate.certificateChain.inlineBytes' | base64 -d | openssl x509 -text -noout | grep Issuer";
        var result = await Mw.RunProcessAsync("bash", ["-o", "pipefail", "-c", pipeline], TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    private async Task<string> HeadersFromCurlClientAsync()
    {
        var headers = await _mesh.MustAsync("exec", "-n", "mtls-test", "deploy/curl-client", "--", "curl", "-s", "-m", "10", "http://httpbin:8000/headers");
        return headers.Stdout;
    }

    [Fact]
    public async Task The_control_plane_restarts_onto_a_plugged_in_CA_and_a_renewed_pod_shows_its_issuer_while_traffic_keeps_flowing()
    {
        await _mesh.UpAsync(MeshFixture.Sample("mtls-test/01-test-services.yaml"));
        Assert.DoesNotContain("Intermediate CA", await IssuerOfHttpbinAsync());

        // ./create-custom-ca.sh, with meshwork's own commands; openssl reads and verifies what they write.
        var ca = Path.Combine(_mesh.StatePath, "custom-ca");
        await _mesh.MustAsync("ca", "create-root", "--dir", ca);
        await _mesh.MustAsync("ca", "create-intermediate", "--root-dir", ca, "--dir", ca);
        var verify = await Mw.RunProcessAsync("openssl", ["verify", "-CAfile", Path.Combine(ca, "root-cert.pem"), Path.Combine(ca, "ca-cert.pem")], TimeSpan.FromMinutes(1));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var refused = await _mesh.RunAsync("ca", "create-root", "--dir", ca);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("--force", refused.Stderr);

        await _mesh.MustAsync("create", "secret", "generic", "cacerts", "-n", "istio-system",
            $"--from-file={Path.Combine(ca, "ca-cert.pem")}", $"--from-file={Path.Combine(ca, "ca-key.pem")}",
            $"--from-file={Path.Combine(ca, "root-cert.pem")}", $"--from-file={Path.Combine(ca, "cert-chain.pem")}");
        var restart = await _mesh.MustAsync("rollout", "restart", "deployment/istiod", "-n", "istio-system");
        Assert.Contains("deployment.apps/istiod restarted", restart.Stdout);
        Assert.True(restart.Stdout.Contains("new root in the trust bundle: \"O=Istio, CN=Root CA\"", StringComparison.Ordinal), restart + _mesh.Logs());

        // Running proxies reconnect to the restarted control plane and keep their certificates: mTLS still works.
        await Mw.EventuallyAsync(async () =>
        {
            var status = await _mesh.RunAsync("proxy-status", "-n", "mtls-test");
            return status.Stdout.Split('\n').Count(l => l.Contains("SYNCED", StringComparison.Ordinal)) >= 2;
        }, TimeSpan.FromSeconds(90), async () => (await _mesh.RunAsync("proxy-status")).ToString() + _mesh.Logs());
        Assert.Contains("URI=spiffe://cluster.local/ns/mtls-test/sa/curl-client", await HeadersFromCurlClientAsync());

        // Restart the workload to renew now: its certificate comes from the custom intermediate.
        await _mesh.MustAsync("rollout", "restart", "deployment/httpbin", "-n", "mtls-test");
        await _mesh.MustAsync("rollout", "status", "deployment/httpbin", "-n", "mtls-test", "--timeout", "180");
        var issuer = "";
        await Mw.EventuallyAsync(async () => (issuer = await IssuerOfHttpbinAsync()).Contains("CN = Intermediate CA", StringComparison.Ordinal),
            TimeSpan.FromSeconds(90), () => Task.FromResult(issuer));
        Assert.Contains("O = Istio", issuer);

        // The client still holds a certificate of the old root, the server one of the new CA: both roots are trusted.
        Assert.Contains("URI=spiffe://cluster.local/ns/mtls-test/sa/curl-client", await HeadersFromCurlClientAsync());
    }
}

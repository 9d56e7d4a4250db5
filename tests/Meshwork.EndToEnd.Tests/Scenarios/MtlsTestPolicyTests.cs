using Meshwork.EndToEnd.Tests.Infrastructure;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>
/// Seed 002's test services (01) and the pod left out of the mesh (03), brought up once for the class.
/// `up` is not asserted here: a failed start is reported by each test, and disposal still cleans up.
/// </summary>
public sealed class MtlsTestMesh : MeshFixture
{
    public CommandResult Up { get; private set; } = new(-1, "", "");

    public override async Task InitializeAsync()
    {
        Up = await RunAsync("up", "--port", "0",
            "-f", Sample("mtls-test/01-test-services.yaml"),
            "-f", Sample("mtls-test/03-non-mesh-pod.yaml"));
    }
}

/// <summary>
/// Seed 002 exercises 2, 3, 4 and 6: PeerAuthentication mesh-wide, per namespace, per workload, and the
/// PERMISSIVE → STRICT migration. The mesh is shared; each test applies its policies, waits for the
/// outcome the tutorial expects (bounded retries, never a sleep), and deletes them again even when it fails.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class MtlsTestPolicyTests(MtlsTestMesh mesh) : IClassFixture<MtlsTestMesh>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private const string Httpbin = "http://httpbin:8000/headers";

    private static string Manifest(string name) => MeshFixture.Sample($"mtls-test/{name}");

    /// <summary>
    /// `meshwork exec -n NS TARGET -- curl -s -o /dev/null -m 10 -w %{http_code} URL`, retried until it prints
    /// <paramref name="expected"/> or time runs out: the code, curl's exit code and exec's stderr.
    /// </summary>
    private async Task<(string Code, int ExitCode, string Stderr)> CurlUntilAsync(string @namespace, string target, string url, string expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var result = await mesh.RunAsync("exec", "-n", @namespace, target, "--",
                "curl", "-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}", url);
            var code = result.Stdout.Trim();
            if (code == expected || DateTime.UtcNow > deadline) return (code, result.ExitCode, result.Stderr);
            await Task.Delay(500);
        }
    }

    private async Task ServedAsync(string @namespace, string target, string url)
    {
        var (code, exitCode, stderr) = await CurlUntilAsync(@namespace, target, url, "200");
        Assert.True((code, exitCode) == ("200", 0), $"{target} in {@namespace} to {url}: {code}, exit {exitCode}\n{stderr}\n{mesh.Logs()}");
    }

    /// <summary>The tutorial's failure: no HTTP status, curl exit 56 (connection reset), reported by exec as kubectl does.</summary>
    private async Task ResetAsync(string @namespace, string target, string url)
    {
        var (code, exitCode, stderr) = await CurlUntilAsync(@namespace, target, url, "000");
        Assert.True((code, exitCode) == ("000", 56), $"{target} in {@namespace} to {url}: {code}, exit {exitCode}\n{stderr}\n{mesh.Logs()}");
        Assert.Contains("command terminated with exit code 56", stderr);
    }

    /// <summary>The class's mesh is up and no earlier test's policy is still in force: plaintext reaches httpbin.</summary>
    private async Task StartFromPermissiveAsync()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"meshwork up failed: {mesh.Up}\n{mesh.Logs()}");
        await ServedAsync("mtls-test", "plain-pod", Httpbin);
        await ServedAsync("default", "deploy/curl", "http://httpbin.mtls-test:8000/headers");
    }

    /// <summary>Cleanup in a finally: not asserted, so it never hides the failure that got us there (the next test's start checks it).</summary>
    private async Task DeleteAsync(params string[] manifests)
    {
        foreach (var manifest in manifests) await mesh.RunAsync("delete", "--ignore-not-found", "-f", Manifest(manifest));
    }

    [Fact]
    public async Task Exercise2_global_strict_keeps_sidecar_traffic_and_refuses_the_pod_outside_the_mesh()
    {
        await StartFromPermissiveAsync();
        try
        {
            await mesh.MustAsync("apply", "-f", Manifest("02-strict-mtls-global.yaml"));
            var policies = await mesh.MustAsync("get", "peerauthentication", "-A");
            Assert.Matches(@"(?m)^istio-system\s+default\s+STRICT\b", policies.Stdout);

            await ResetAsync("mtls-test", "plain-pod", Httpbin);
            await ServedAsync("mtls-test", "deploy/curl-client", Httpbin);
            // Outside the injected namespace too: the pod in default has no sidecar either.
            await ResetAsync("default", "deploy/curl", "http://httpbin.mtls-test:8000/headers");
        }
        finally
        {
            await DeleteAsync("02-strict-mtls-global.yaml");
        }
    }

    [Fact]
    public async Task Exercise3_namespace_strict_serves_the_namespace_and_resets_a_client_without_sidecar_elsewhere()
    {
        await StartFromPermissiveAsync();
        try
        {
            await mesh.MustAsync("apply", "-f", Manifest("04-namespace-mtls.yaml"));

            await ResetAsync("default", "deploy/curl", "http://httpbin.mtls-test:8000/headers");
            await ServedAsync("mtls-test", "deploy/curl-client", Httpbin);
        }
        finally
        {
            await DeleteAsync("04-namespace-mtls.yaml");
        }
    }

    [Fact]
    public async Task Exercise4_workload_policies_strict_refuses_plaintext_and_permissive_serves_it_even_under_a_strict_namespace()
    {
        await StartFromPermissiveAsync();
        try
        {
            await mesh.MustAsync("apply", "-f", Manifest("05-service-mtls.yaml"));
            await mesh.MustAsync("rollout", "status", "deployment/httpbin-strict", "-n", "mtls-test");
            await mesh.MustAsync("rollout", "status", "deployment/httpbin-permissive", "-n", "mtls-test");
            Assert.All(mesh.Pods("mtls-test").Where(p => p.Deployment is "httpbin-strict" or "httpbin-permissive"),
                p => Assert.True(p.Sidecar, $"{p.Name} has no sidecar"));

            // The tutorial's commands: the client with a sidecar reaches both.
            await ServedAsync("mtls-test", "deploy/curl-client", "http://httpbin-strict:8000/headers");
            await ServedAsync("mtls-test", "deploy/curl-client", "http://httpbin-permissive:8000/headers");
            // What tells them apart: plaintext.
            await ResetAsync("mtls-test", "plain-pod", "http://httpbin-strict:8000/headers");
            await ServedAsync("mtls-test", "plain-pod", "http://httpbin-permissive:8000/headers");

            // The workload's PERMISSIVE overrides a STRICT namespace policy.
            await mesh.MustAsync("apply", "-f", Manifest("04-namespace-mtls.yaml"));
            await ResetAsync("mtls-test", "plain-pod", Httpbin);
            await ServedAsync("mtls-test", "plain-pod", "http://httpbin-permissive:8000/headers");
            await ResetAsync("mtls-test", "plain-pod", "http://httpbin-strict:8000/headers");
        }
        finally
        {
            await DeleteAsync("04-namespace-mtls.yaml", "05-service-mtls.yaml");
        }
    }

    [Fact]
    public async Task Exercise6_migration_permissive_serves_both_clients_then_strict_resets_only_the_plain_one()
    {
        await StartFromPermissiveAsync();
        try
        {
            // Step 1: PERMISSIVE, both mTLS and plaintext work.
            await mesh.MustAsync("apply", "-f", Manifest("07-migration-step1-permissive.yaml"));
            var permissive = await mesh.MustAsync("get", "peerauthentication", "-n", "mtls-test");
            Assert.Matches(@"(?m)^default\s+PERMISSIVE\b", permissive.Stdout);
            await ServedAsync("mtls-test", "plain-pod", Httpbin);
            await ServedAsync("mtls-test", "deploy/curl-client", Httpbin);

            // Step 3: STRICT replaces the same policy; the plain client is reset, the sidecar client is not.
            await mesh.MustAsync("apply", "-f", Manifest("08-migration-step2-strict.yaml"));
            var strict = await mesh.MustAsync("get", "peerauthentication", "-n", "mtls-test");
            Assert.Matches(@"(?m)^default\s+STRICT\b", strict.Stdout);
            await ResetAsync("mtls-test", "plain-pod", Httpbin);
            await ServedAsync("mtls-test", "deploy/curl-client", Httpbin);
            var headers = await mesh.MustAsync("exec", "-n", "mtls-test", "deploy/curl-client", "--", "curl", "-s", "-m", "10", Httpbin);
            Assert.Contains("URI=spiffe://cluster.local/ns/mtls-test/sa/curl-client", headers.Stdout);
        }
        finally
        {
            await DeleteAsync("08-migration-step2-strict.yaml");
        }
    }
}

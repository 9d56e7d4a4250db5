
namespace Meshwork.Cli.Tests;

/// <summary>`authn tls-check` in both argument forms of the mtls-test tutorial, over its manifests offline.</summary>
public sealed class TlsCheckCommandTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new(withControlPlane: false);

    public Task InitializeAsync() => _cli.InitializeAsync();

    public Task DisposeAsync() => _cli.DisposeAsync();

    private static string Sample(string file) => CliHarness.Sample(Path.Combine("mtls-test", file));

    private Task<(int Exit, string Out, string Err)> MeshworkAsync(params string[] args) => _cli.RunAsync(args);

    private static string[] Columns(string line) => line.Split("   ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task One_workload_in_a_namespace_lists_every_service_port_with_auto_mtls()
    {
        var (exit, stdout, stderr) = await MeshworkAsync("authn", "tls-check", "deploy/httpbin", "-n", "mtls-test", "-f", Sample("01-test-services.yaml"));

        Assert.True(exit == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["HOST:PORT", "STATUS", "SERVER", "CLIENT", "AUTHN POLICY", "DESTINATION RULE"], Columns(lines[0]));
        Assert.Contains(["httpbin.mtls-test.svc.cluster.local:8000", "OK", "PERMISSIVE", "ISTIO_MUTUAL", "default", "auto"], lines.Select(Columns));
        Assert.Contains(["httpbin.mtls-test.svc.cluster.local:8081", "OK", "PERMISSIVE", "ISTIO_MUTUAL", "default", "auto"], lines.Select(Columns));
    }

    [Fact]
    public async Task Client_and_server_named_with_their_namespaces_show_the_mesh_wide_strict_policy()
    {
        var (exit, stdout, stderr) = await MeshworkAsync("authn", "tls-check", "deploy/curl-client.mtls-test", "deploy/httpbin.mtls-test",
            "-f", Sample("01-test-services.yaml"), Sample("02-strict-mtls-global.yaml"));

        Assert.True(exit == 0, stderr);
        var rows = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(Columns).ToList();
        Assert.Equal(3, rows.Count); // httpbin's three ports, nothing else
        Assert.All(rows, r => Assert.Equal(["OK", "STRICT", "ISTIO_MUTUAL", "PeerAuthentication istio-system/default (mesh-wide)", "auto"], r[1..]));
    }

    [Fact]
    public async Task A_client_without_a_sidecar_towards_strict_is_a_conflict()
    {
        var (exit, stdout, stderr) = await MeshworkAsync("-n", "mtls-test", "authn", "tls-check", "deploy/plain-pod", "httpbin:8000",
            "-f", Sample("01-test-services.yaml"), Sample("02-strict-mtls-global.yaml"), Sample("03-non-mesh-pod.yaml"));

        Assert.Equal(1, exit); // a host takes no port: the Service's ports are all listed
        Assert.Contains("no Service answers to \"httpbin:8000\"", stderr);

        (exit, stdout, stderr) = await MeshworkAsync("-n", "mtls-test", "authn", "tls-check", "deploy/plain-pod", "httpbin",
            "-f", Sample("01-test-services.yaml"), Sample("02-strict-mtls-global.yaml"), Sample("03-non-mesh-pod.yaml"));
        Assert.True(exit == 0, stderr);
        Assert.Contains(["httpbin.mtls-test.svc.cluster.local:8000", "CONFLICT", "STRICT", "NONE", "PeerAuthentication istio-system/default (mesh-wide)", "no sidecar"],
            stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Columns));
    }

    [Fact]
    public async Task An_unknown_workload_is_named_in_the_error()
    {
        var (exit, _, stderr) = await MeshworkAsync("authn", "tls-check", "deploy/nothing", "-n", "mtls-test", "-f", Sample("01-test-services.yaml"));

        Assert.Equal(1, exit);
        Assert.Contains("deployment nothing.mtls-test not found", stderr);
    }
}

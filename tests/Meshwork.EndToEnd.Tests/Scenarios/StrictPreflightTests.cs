using Meshwork.EndToEnd.Tests.Infrastructure;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>
/// The STRICT pre-flight on the mTLS migration mesh (seed 003): with sleep.legacy calling httpbin.foo in
/// plaintext, `x mtls preflight -n foo` names it and exits 2; once the window has passed without it, it
/// exits 0; STRICT is then applied and the meshed callers pre-flight approved keep working.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class StrictPreflightTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    [Fact]
    public async Task Preflight_names_the_plaintext_legacy_caller_then_approves_STRICT_once_it_has_stopped()
    {
        await _mesh.UpAsync(MeshFixture.Sample("mtls-migration/namespaces.yaml"));
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/httpbin.yaml"), "foo");
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/sleep.yaml"), "foo");
        await _mesh.MustAsync("apply", "-n", "legacy", "-f", MeshFixture.Sample("mtls-migration/sleep.yaml"));
        await _mesh.MustAsync("rollout", "status", "deployment/httpbin", "-n", "foo", "--timeout", "180");
        await _mesh.MustAsync("rollout", "status", "deployment/sleep", "-n", "legacy", "--timeout", "180");
        await _mesh.MustAsync("rollout", "status", "deployment/sleep", "-n", "foo", "--timeout", "180");

        Assert.Equal("200", (await _mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "200")).Code);
        Assert.Equal("200", (await _mesh.CurlUntilAsync("foo", "http://httpbin.foo:8000/ip", "200")).Code);

        var preflight = await _mesh.RunAsync("x", "mtls", "preflight", "-n", "foo", "--since", "10m");
        Assert.True(preflight.ExitCode == 2, preflight.ToString());
        var legacyPod = Assert.Single(_mesh.Pods("legacy"));
        // One row: the meshed client sleep.foo called over mTLS, so it is no plaintext caller.
        var row = Assert.Single(preflight.Stdout.Split('\n'), l => l.StartsWith("httpbin-", StringComparison.Ordinal));
        // The caller is named by the pod that owns its address, or "unknown" with the address.
        Assert.True(row.Contains($"{legacyPod.Name}.legacy", StringComparison.Ordinal) || row.Contains("unknown", StringComparison.Ordinal), row);
        Assert.Contains("would be refused by STRICT", preflight.Stdout);

        var inventory = await _mesh.MustAsync("x", "mtls", "plaintext");
        Assert.Contains("httpbin-", inventory.Stdout);

        // The legacy client stops; once the window has passed without it, pre-flight approves.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var approved = await _mesh.RunAsync("x", "mtls", "preflight", "deploy/httpbin", "-n", "foo", "--since", "2s");
        Assert.True(approved.ExitCode == 0, approved.ToString());
        Assert.Contains("STRICT would refuse no caller seen", approved.Stdout);

        await _mesh.MustAsync("apply", "-n", "foo", "-f", MeshFixture.Sample("mtls-migration/mtls-ns.yaml"));
        Assert.Equal("000", (await _mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "000")).Code);
        Assert.Equal("200", (await _mesh.CurlAsync("foo", "http://httpbin.foo:8000/ip")).Code);
    }
}

using System.Text.Json;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>
/// The STRICT pre-flight on the mTLS migration mesh (seed 003): with sleep.legacy calling httpbin.foo in
/// plaintext, and sleep.bar too because its DestinationRule disables TLS towards foo, `x mtls preflight
/// -n foo` names both and exits 2; a proposed policy that keeps httpbin PERMISSIVE passes; once the
/// callers are fixed or stopped and the window has passed, it exits 0; STRICT is then applied, the
/// callers pre-flight approved keep working, and `x why` names the cause of the legacy client's failure.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class StrictPreflightTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(_mesh.StatePath, name);
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task Preflight_names_the_plaintext_callers_judges_a_proposal_then_approves_STRICT_once_they_have_stopped()
    {
        await _mesh.UpAsync(MeshFixture.Sample("mtls-migration/namespaces.yaml"));
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/httpbin.yaml"), "foo");
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/sleep.yaml"), "foo");
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/sleep.yaml"), "bar");
        await _mesh.MustAsync("apply", "-n", "legacy", "-f", MeshFixture.Sample("mtls-migration/sleep.yaml"));
        // A meshed client told to send plaintext towards foo: STRICT would break it as surely as a client without sidecar.
        var plainRule = Write("bar-plaintext-to-foo.yaml", """
            apiVersion: networking.istio.io/v1beta1
            kind: DestinationRule
            metadata:
              name: httpbin-foo-plaintext
              namespace: bar
            spec:
              host: httpbin.foo.svc.cluster.local
              trafficPolicy:
                tls:
                  mode: DISABLE
            """);
        await _mesh.MustAsync("apply", "-f", plainRule);
        foreach (var (deployment, ns) in new[] { ("httpbin", "foo"), ("sleep", "legacy"), ("sleep", "foo"), ("sleep", "bar") })
        {
            await _mesh.MustAsync("rollout", "status", $"deployment/{deployment}", "-n", ns, "--timeout", "180");
        }

        Assert.Equal("200", (await _mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "200")).Code);
        Assert.Equal("200", (await _mesh.CurlUntilAsync("foo", "http://httpbin.foo:8000/ip", "200")).Code);
        var barPod = Assert.Single(_mesh.Pods("bar"), p => p.Deployment == "sleep");
        // The rule reaches bar's sidecar in a moment; until then its calls are mTLS and not in the table.
        var preflight = new CommandResult(-1, "", "");
        await Mw.EventuallyAsync(async () =>
        {
            await _mesh.CurlAsync("bar", "http://httpbin.foo:8000/ip");
            preflight = await _mesh.RunAsync("x", "mtls", "preflight", "-n", "foo", "--since", "10m");
            return preflight.Stdout.Contains($"{barPod.Name}.bar", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(90), () => Task.FromResult(preflight.ToString()));

        Assert.True(preflight.ExitCode == 2, preflight.ToString());
        var legacyPod = Assert.Single(_mesh.Pods("legacy"));
        var rows = preflight.Stdout.Split('\n').Where(l => l.StartsWith("httpbin-", StringComparison.Ordinal)).ToList();
        // The legacy caller is named by the pod that owns its address, or "unknown" with the address; sleep.foo
        // called over mTLS, so it is no plaintext caller.
        Assert.Contains(rows, r => r.Contains($"{legacyPod.Name}.legacy", StringComparison.Ordinal) || r.Contains("unknown", StringComparison.Ordinal));
        var fooSleep = Assert.Single(_mesh.Pods("foo"), p => p.Deployment == "sleep");
        Assert.DoesNotContain(rows, r => r.Contains($"{fooSleep.Name}.foo", StringComparison.Ordinal));
        Assert.Contains("would be refused by STRICT", preflight.Stdout);

        var inventory = await _mesh.MustAsync("x", "mtls", "plaintext");
        Assert.Contains("httpbin-", inventory.Stdout);

        // A proposal: STRICT for the namespace, httpbin kept PERMISSIVE. It refuses none of the callers seen.
        var keepHttpbin = Write("foo-strict-but-httpbin.yaml", """
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata:
              name: default
            spec:
              mtls:
                mode: STRICT
            ---
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata:
              name: httpbin-permissive
            spec:
              selector:
                matchLabels:
                  app: httpbin
              mtls:
                mode: PERMISSIVE
            """);
        var spared = await _mesh.RunAsync("x", "mtls", "preflight", "-n", "foo", "--since", "10m", "--policy", keepHttpbin);
        Assert.True(spared.ExitCode == 0, spared.ToString());
        Assert.Contains("the proposed policy would refuse no caller seen", spared.Stdout);
        // The namespace-wide STRICT the tutorial applies is judged the same way as pre-flight's default.
        var proposed = await _mesh.RunAsync("x", "mtls", "preflight", "-n", "foo", "--since", "10m", "--policy", MeshFixture.Sample("mtls-migration/mtls-ns.yaml"));
        Assert.True(proposed.ExitCode == 2, proposed.ToString());
        Assert.Contains("would be refused by the proposed policy", proposed.Stdout);
        Assert.Contains("STRICT (PeerAuthentication foo/default", proposed.Stdout);

        // sleep.bar is fixed (auto mTLS again) and the legacy client stops: once the window has passed, pre-flight approves.
        await _mesh.MustAsync("delete", "-f", plainRule);
        var approved = new CommandResult(-1, "", "");
        await Mw.EventuallyAsync(async () =>
        {
            approved = await _mesh.RunAsync("x", "mtls", "preflight", "deploy/httpbin", "-n", "foo", "--since", "3s");
            return approved.ExitCode == 0;
        }, TimeSpan.FromSeconds(60), () => Task.FromResult(approved.ToString()));
        Assert.Contains("STRICT would refuse no caller seen", approved.Stdout);

        await _mesh.MustAsync("apply", "-n", "foo", "-f", MeshFixture.Sample("mtls-migration/mtls-ns.yaml"));
        Assert.Equal("000", (await _mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "000")).Code);
        // The callers pre-flight approved keep working.
        Assert.Equal("200", (await _mesh.CurlAsync("foo", "http://httpbin.foo:8000/ip")).Code);
        Assert.Equal("200", (await _mesh.CurlUntilAsync("bar", "http://httpbin.foo:8000/ip", "200")).Code);

        // x why, on the live mesh: the legacy client meets STRICT with plaintext; sleep.foo meets nothing.
        var why = await _mesh.MustAsync("x", "why", "deploy/sleep.legacy", "http://httpbin.foo:8000/ip", "-o", "json");
        using (var json = JsonDocument.Parse(why.Stdout))
        {
            Assert.Equal("strict-against-plaintext", json.RootElement.GetProperty("cause").GetString());
            Assert.Equal("meshwork x mtls preflight -n foo", json.RootElement.GetProperty("next").GetString());
        }
        var text = await _mesh.MustAsync("x", "why", "deploy/sleep", "-n", "foo", "httpbin.foo:8000");
        Assert.Contains("Cause: no failure expected", text.Stdout);
        Assert.Contains("Live: the sidecar of foo/httpbin-", text.Stdout);
    }
}

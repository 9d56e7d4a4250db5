using System.Text.Json;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;

namespace Meshwork.EndToEnd.Tests.Diagnostics;

/// <summary>
/// `x why FROM TO` on one running mtls-migration mesh (seed 003, foo STRICT) with one resource per failure the proxy
/// and authorization tests produce: each call's cause, the evidence behind it (the proxies' refusals where the call
/// really ran), and a next command that runs. The mesh itself confirms the calls fail as diagnosed.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed partial class WhyTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    /// <summary>
    /// bar's sleep sends plaintext towards foo; foo's sleep accepts only a made-up identity for sleep.bar and starts
    /// mTLS towards sleep.legacy; httpbin denies /headers; httpbin-preview routes to a host that does not exist;
    /// httpbin-canary selects no pod.
    /// </summary>
    private const string Mistakes = """
        apiVersion: networking.istio.io/v1beta1
        kind: DestinationRule
        metadata: {name: httpbin-foo-plaintext, namespace: bar}
        spec:
          host: httpbin.foo.svc.cluster.local
          trafficPolicy: {tls: {mode: DISABLE}}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: DestinationRule
        metadata: {name: sleep-bar-pinned, namespace: foo}
        spec:
          host: sleep.bar.svc.cluster.local
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL, subjectAltNames: ["spiffe://cluster.local/ns/bar/sa/not-sleep"]}}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: DestinationRule
        metadata: {name: sleep-legacy-mtls, namespace: foo}
        spec:
          host: sleep.legacy.svc.cluster.local
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: AuthorizationPolicy
        metadata: {name: deny-headers, namespace: foo}
        spec:
          selector: {matchLabels: {app: httpbin}}
          action: DENY
          rules:
          - to: [{operation: {paths: ["/headers"]}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: httpbin-preview, namespace: foo}
        spec:
          selector: {app: httpbin}
          ports: [{name: http, port: 8000, targetPort: 8080}]
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: VirtualService
        metadata: {name: httpbin-preview, namespace: foo}
        spec:
          hosts: [httpbin-preview.foo.svc.cluster.local]
          http:
          - route: [{destination: {host: httpbin-v2.foo.svc.cluster.local}}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: httpbin-canary, namespace: foo}
        spec:
          selector: {app: httpbin-canary}
          ports: [{name: http, port: 8000, targetPort: 8080}]
        """;

    private sealed record Diagnosis(string Cause, string Summary, string? Endpoint, string? Policy, int? Rule, string Next, IReadOnlyList<string> Evidence)
    {
        public override string ToString() => $"{Cause}: {Summary}\n  next: {Next}\n  {string.Join("\n  ", Evidence)}";
    }

    private async Task<Diagnosis> WhyAsync(string from, string to)
    {
        var result = await _mesh.MustAsync("x", "why", from, to, "-o", "json");
        using var json = JsonDocument.Parse(result.Stdout);
        var root = json.RootElement;
        return new Diagnosis(
            root.GetProperty("cause").GetString()!,
            root.GetProperty("summary").GetString()!,
            root.GetProperty("endpoint").GetString(),
            root.GetProperty("policy").GetString(),
            root.GetProperty("rule").ValueKind == JsonValueKind.Number ? root.GetProperty("rule").GetInt32() : null,
            root.GetProperty("next").GetString()!,
            [.. root.GetProperty("evidence").EnumerateArray().Select(e => e.GetProperty("reason").GetString()!)]);
    }

    /// <summary>The next command a diagnosis names runs against this mesh and exits with one of <paramref name="exitCodes"/> (0 when none given).</summary>
    private async Task<string> RunNextAsync(Diagnosis diagnosis, params int[] exitCodes)
    {
        var words = diagnosis.Next.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(words[0] == "meshwork", diagnosis.ToString());
        var result = await _mesh.RunAsync(words[1..]);
        Assert.True((exitCodes.Length == 0 ? [0] : exitCodes).Contains(result.ExitCode), $"{diagnosis.Next}: {result}");
        return result.Stdout;
    }

    [Fact]
    public async Task Why_names_each_failing_calls_cause_with_its_evidence_and_a_next_command_that_runs()
    {
        await _mesh.UpAsync(MeshFixture.Sample("mtls-migration/namespaces.yaml"));
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/httpbin.yaml"), "foo");
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/sleep.yaml"), "foo");
        await _mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/sleep.yaml"), "bar");
        await _mesh.MustAsync("apply", "-n", "legacy", "-f", MeshFixture.Sample("mtls-migration/sleep.yaml"));
        await _mesh.MustAsync("apply", "-n", "foo", "-f", MeshFixture.Sample("mtls-migration/mtls-ns.yaml"));
        var mistakes = Path.Combine(_mesh.StatePath, "mistakes.yaml");
        await File.WriteAllTextAsync(mistakes, Mistakes);
        await _mesh.MustAsync("apply", "-f", mistakes);
        foreach (var (deployment, ns) in new[] { ("httpbin", "foo"), ("sleep", "legacy"), ("sleep", "foo"), ("sleep", "bar") })
        {
            await _mesh.MustAsync("rollout", "status", $"deployment/{deployment}", "-n", ns, "--timeout", "180");
        }
        var httpbin = Assert.Single(_mesh.Pods("foo"), p => p.Deployment == "httpbin");
        var legacy = Assert.Single(_mesh.Pods("legacy"));
        var bar = Assert.Single(_mesh.Pods("bar"));

        // Success: nothing stops sleep.foo's call, and the evidence includes what httpbin's sidecar really holds.
        Assert.Equal("200", (await _mesh.CurlUntilAsync("foo", "http://httpbin.foo:8000/ip", "200", TimeSpan.FromSeconds(120))).Code);
        var ok = await WhyAsync("deploy/sleep.foo", "http://httpbin.foo:8000/ip");
        Assert.True(ok.Cause == "none", ok.ToString());
        Assert.StartsWith("Nothing is wrong: ", ok.Summary, StringComparison.Ordinal);
        Assert.Contains(ok.Evidence, e => e.StartsWith($"Live: the sidecar of foo/{httpbin.Name} holds spiffe://cluster.local/ns/foo/sa/httpbin", StringComparison.Ordinal));
        Assert.Equal($"meshwork logs {httpbin.Name} -c istio-proxy -n foo", ok.Next);
        await RunNextAsync(ok);

        // A client outside the mesh against STRICT: httpbin's sidecar resets it, and counts the refusal under the address the
        // legacy pod's connections come from (in loopback mode its namespace's network proxy, in the pod network its own IP).
        Assert.Equal("000", (await _mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "000", TimeSpan.FromSeconds(120))).Code);
        var plain = await WhyAsync("deploy/sleep.legacy", "http://httpbin.foo:8000/ip");
        Assert.True(plain.Cause == "strict-against-plaintext", plain.ToString());
        Assert.Contains("not meshed", plain.Summary, StringComparison.Ordinal);
        Assert.Contains("PeerAuthentication foo/default", plain.Summary, StringComparison.Ordinal);
        Assert.True(plain.Evidence.Any(e => e.StartsWith($"Live: the sidecar of foo/{httpbin.Name} refused", StringComparison.Ordinal)
            && e.Contains($"from {legacy.ConnectsFrom} on port 8080", StringComparison.Ordinal)), plain.ToString());
        Assert.Equal("meshwork x mtls preflight -n foo", plain.Next);
        // Pre-flight lists the plaintext callers seen before STRICT refused them (exit 2), if the window still holds any.
        Assert.Contains("STRICT", await RunNextAsync(plain, 0, 2));

        // A meshed client whose DestinationRule disables TLS towards the STRICT port: its sidecar answers 503 on the reset.
        Assert.Equal("503", (await _mesh.CurlUntilAsync("bar", "http://httpbin.foo:8000/ip", "503", TimeSpan.FromSeconds(120))).Code);
        var disabled = await WhyAsync("deploy/sleep.bar", "http://httpbin.foo:8000/ip");
        Assert.True(disabled.Cause == "strict-against-plaintext", disabled.ToString());
        Assert.Contains("DestinationRule bar/httpbin-foo-plaintext", disabled.Summary, StringComparison.Ordinal);
        Assert.True(disabled.Evidence.Any(e => e.Contains($"from {bar.ConnectsFrom} on port 8080", StringComparison.Ordinal)), disabled.ToString());
        Assert.Equal("meshwork authn tls-check deploy/sleep.bar httpbin.foo.svc.cluster.local", disabled.Next);
        Assert.Contains("CONFLICT", await RunNextAsync(disabled));

        // Secure naming: the client accepts only an identity sleep.bar's sidecar does not have.
        var pinned = await WhyAsync("deploy/sleep.foo", "http://sleep.bar/");
        Assert.True(pinned.Cause == "identity-mismatch", pinned.ToString());
        Assert.Contains("spiffe://cluster.local/ns/bar/sa/sleep", pinned.Summary, StringComparison.Ordinal);
        Assert.Contains("spiffe://cluster.local/ns/bar/sa/not-sleep", pinned.Summary, StringComparison.Ordinal);
        Assert.Equal("meshwork get destinationrule sleep-bar-pinned -n foo -o yaml", pinned.Next);
        Assert.Contains("not-sleep", await RunNextAsync(pinned));

        // Istio mTLS towards a pod without a sidecar.
        var unmeshed = await WhyAsync("deploy/sleep.foo", "http://sleep.legacy/");
        Assert.True(unmeshed.Cause == "peer-not-meshed", unmeshed.ToString());
        Assert.Equal($"legacy/{legacy.Name}", unmeshed.Endpoint);
        Assert.Equal($"meshwork x describe pod {legacy.Name} -n legacy", unmeshed.Next);
        await RunNextAsync(unmeshed);

        // Authorization: the DENY policy and its rule; the mesh answers 403 on that path.
        Assert.Equal("403", (await _mesh.CurlUntilAsync("foo", "http://httpbin.foo:8000/headers", "403", TimeSpan.FromSeconds(120))).Code);
        var denied = await WhyAsync("deploy/sleep.foo", "http://httpbin.foo:8000/headers");
        Assert.True(denied.Cause == "authorization-denied", denied.ToString());
        Assert.Equal("foo/deny-headers", denied.Policy);
        Assert.Equal(0, denied.Rule);
        Assert.Equal("meshwork get authorizationpolicy deny-headers -n foo -o yaml", denied.Next);
        Assert.Contains("/headers", await RunNextAsync(denied));

        // A VirtualService route to a host no Service answers: the client sidecar has no cluster for it.
        Assert.Equal("503", (await _mesh.CurlUntilAsync("foo", "http://httpbin-preview.foo:8000/ip", "503", TimeSpan.FromSeconds(120))).Code);
        var nowhere = await WhyAsync("deploy/sleep.foo", "http://httpbin-preview.foo:8000/ip");
        Assert.True(nowhere.Cause == "no-route", nowhere.ToString());
        Assert.Contains("httpbin-v2.foo.svc.cluster.local", nowhere.Summary, StringComparison.Ordinal);
        Assert.Equal("meshwork get virtualservice httpbin-preview -n foo -o yaml", nowhere.Next);
        Assert.Contains("httpbin-v2", await RunNextAsync(nowhere));

        // A Service that selects no pod.
        var empty = await WhyAsync("deploy/sleep.foo", "httpbin-canary.foo:8000");
        Assert.True(empty.Cause == "no-endpoint", empty.ToString());
        Assert.Equal("meshwork get pods -n foo --show-labels", empty.Next);
        Assert.Contains(httpbin.Name, await RunNextAsync(empty));

        await TransportFailuresAsync();
        await SidecarScopeAsync();
    }
}

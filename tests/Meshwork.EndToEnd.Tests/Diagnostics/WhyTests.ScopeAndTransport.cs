namespace Meshwork.EndToEnd.Tests.Diagnostics;

/// <summary>
/// The causes no DestinationRule or PeerAuthentication explains, on the same running mesh: endpoints that are never
/// ready, an application that does not listen behind its sidecar, and a Sidecar resource whose scope leaves the
/// destination out (REGISTRY_ONLY, then ALLOW_ANY).
/// </summary>
public sealed partial class WhyTests
{
    /// <summary>stuck.foo selects a pod whose readiness probe always fails; bar's sleep later sees only its own namespace.</summary>
    private const string Stuck = """
        apiVersion: v1
        kind: Service
        metadata: {name: stuck, namespace: foo}
        spec:
          selector: {app: stuck}
          ports: [{name: http, port: 8000, targetPort: 8080}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: stuck, namespace: foo}
        spec:
          replicas: 1
          selector: {matchLabels: {app: stuck}}
          template:
            metadata: {labels: {app: stuck}}
            spec:
              containers:
              - name: stuck
                image: curlimages/curl
                command: ["sleep", "infinity"]
                ports: [{containerPort: 8080}]
                readinessProbe: {exec: {command: ["false"]}, periodSeconds: 1}
        """;

    private static string BarSidecar(string mode) => $$"""
        apiVersion: networking.istio.io/v1beta1
        kind: Sidecar
        metadata: {name: own-namespace, namespace: bar}
        spec:
          egress:
          - hosts: ["./*", "istio-system/*"]
          outboundTrafficPolicy: {mode: {{mode}}}
        """;

    private async Task TransportFailuresAsync()
    {
        // No ready endpoint: the pod runs, its probe fails, so the client's sidecar has no healthy upstream.
        var stuck = Path.Combine(_mesh.StatePath, "stuck.yaml");
        await File.WriteAllTextAsync(stuck, Stuck);
        await _mesh.MustAsync("apply", "-f", stuck);
        Assert.Equal("503", (await _mesh.CurlUntilAsync("foo", "http://stuck.foo:8000/", "503", TimeSpan.FromSeconds(120))).Code);
        var unready = await WhyAsync("deploy/sleep.foo", "http://stuck.foo:8000/");
        Assert.True(unready.Cause == "no-healthy-upstream", unready.ToString());
        Assert.Contains("none is ready", unready.Summary, StringComparison.Ordinal);
        Assert.Contains(unready.Evidence, e => e.StartsWith("Pod foo/stuck-", StringComparison.Ordinal) && e.Contains("not ready", StringComparison.Ordinal));
        Assert.Equal("meshwork get pods -n foo", unready.Next);
        Assert.Contains("stuck-", await RunNextAsync(unready));

        // sleep's Service port 80 reaches a pod where nothing listens. In loopback mode the client's sidecar finds no
        // listener for the undeclared port and counts the failed connect (UF, or URX once its retries are used up). In the
        // pod network mode the connection reaches sleep.foo's sidecar, which relays an undeclared port as TCP (Istio's
        // InboundPassthrough): the app refuses, the relay resets, and the client's sidecar counts a reset before any
        // answer (UC).
        Assert.Equal("503", (await _mesh.CurlUntilAsync("bar", "http://sleep.foo/", "503", TimeSpan.FromSeconds(120))).Code);
        var refused = await WhyAsync("deploy/sleep.bar", "http://sleep.foo/");
        if (_mesh.IsolatesPods)
        {
            Assert.True(refused.Cause == "upstream-reset", refused.ToString());
            Assert.Contains("reset the connection before it answered", refused.Summary, StringComparison.Ordinal);
        }
        else
        {
            Assert.True(refused.Cause == "upstream-connect-failure", refused.ToString());
            Assert.Matches("could not connect to|used up its retries towards", refused.Summary);
        }
        Assert.Contains(refused.Evidence, e => e.StartsWith("Live: ", StringComparison.Ordinal) && e.Contains("answered 503 with flags U", StringComparison.Ordinal));
        Assert.Matches(@"^meshwork logs sleep-\S+ -c istio-proxy -n (foo|bar)$", refused.Next);
        await RunNextAsync(refused);
    }

    private async Task SidecarScopeAsync()
    {
        // REGISTRY_ONLY: httpbin.foo is outside bar's scope, so bar's sidecar answers 502 from the BlackHoleCluster.
        var sidecar = Path.Combine(_mesh.StatePath, "sidecar.yaml");
        await File.WriteAllTextAsync(sidecar, BarSidecar("REGISTRY_ONLY"));
        await _mesh.MustAsync("apply", "-f", sidecar);
        Assert.Equal("502", (await _mesh.CurlUntilAsync("bar", "http://httpbin.foo:8000/ip", "502", TimeSpan.FromSeconds(120))).Code);
        var blackHole = await WhyAsync("deploy/sleep.bar", "http://httpbin.foo:8000/ip");
        Assert.True(blackHole.Cause == "out-of-scope", blackHole.ToString());
        Assert.Contains("outside the scope of Sidecar bar/own-namespace", blackHole.Summary, StringComparison.Ordinal);
        Assert.Contains("BlackHoleCluster", blackHole.Summary, StringComparison.Ordinal);
        Assert.Equal("meshwork get sidecar own-namespace -n bar -o yaml", blackHole.Next);
        Assert.Contains("REGISTRY_ONLY", await RunNextAsync(blackHole));

        // ALLOW_ANY: the call would leave as plaintext, which foo's STRICT port resets; named as the same cause.
        await File.WriteAllTextAsync(sidecar, BarSidecar("ALLOW_ANY"));
        await _mesh.MustAsync("apply", "-f", sidecar);
        var passthrough = await WhyAsync("deploy/sleep.bar", "http://httpbin.foo:8000/ip");
        Assert.True(passthrough.Cause == "out-of-scope", passthrough.ToString());
        Assert.Contains("ALLOW_ANY (Sidecar bar/own-namespace)", passthrough.Summary, StringComparison.Ordinal);
        Assert.Contains("is STRICT (PeerAuthentication foo/default", passthrough.Summary, StringComparison.Ordinal);
        Assert.Contains("ALLOW_ANY", await RunNextAsync(passthrough));
        await _mesh.MustAsync("delete", "-f", sidecar);
    }
}

using System.Net;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>Seed 003's mesh in the pod network mode, as its tutorial uses it: apps unchanged, no http_proxy.</summary>
[Collection(MeshCollection.Name)]
public sealed class PodNetworkStrictTests(StrictPodNetworkMesh mesh) : IClassFixture<StrictPodNetworkMesh>
{
    private Task<CommandResult> ExecAsync(string @namespace, string container, params string[] command) =>
        mesh.ExecAsync(@namespace, "sleep", container, command);

    [PodNetworkFact]
    public async Task A_meshed_client_reaches_a_STRICT_service_through_capture_and_a_legacy_client_is_reset()
    {
        var meshed = await mesh.CurlUntilAsync("foo", "http://httpbin.foo:8000/ip", "200");
        Assert.True(meshed.Code == "200", $"{meshed}\n{mesh.Logs()}");
        var legacy = await mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/ip", "000");
        Assert.Equal(("000", 56), (legacy.Code, legacy.ExitCode));
    }

    [PodNetworkFact]
    public async Task The_tutorials_istio_proxy_lines_run_as_written()
    {
        var stats = await ExecAsync("foo", "istio-proxy", "sh", "-c", "curl -s localhost:15000/stats | grep ssl");
        Assert.True(stats.ExitCode == 0 && stats.Stdout.Contains("ssl", StringComparison.Ordinal), $"{stats}\n{mesh.Logs()}");
        var chain = await ExecAsync("foo", "istio-proxy", "sh", "-c", "cat /etc/certs/cert-chain.pem | openssl x509 -text -noout");
        Assert.True(chain.ExitCode == 0, chain.ToString());
        Assert.Contains("URI:spiffe://cluster.local/ns/foo/sa/sleep", chain.Stdout, StringComparison.Ordinal);
    }

    [PodNetworkFact]
    public async Task Service_names_resolve_in_every_pod_short_ones_in_the_pods_own_namespace()
    {
        var clusterIp = (await mesh.MustAsync("get", "svc", "-n", "foo", "httpbin", "-o", "jsonpath={.spec.clusterIP}")).Stdout.Trim();
        Assert.Matches(@"^10\.\d+\.\d+\.\d+$", clusterIp);
        foreach (var (ns, container) in new[] { ("foo", "sleep"), ("foo", "istio-proxy"), ("legacy", "sleep") })
        {
            var names = ns == "foo" ? new[] { "httpbin", "httpbin.foo", "httpbin.foo.svc.cluster.local" } : ["httpbin.foo", "httpbin.foo.svc.cluster.local"];
            foreach (var name in names)
            {
                var getent = await ExecAsync(ns, container, "getent", "hosts", name);
                Assert.True(getent.ExitCode == 0 && getent.Stdout.StartsWith(clusterIp + " ", StringComparison.Ordinal), $"{name} in {ns}/{container}: {getent}");
            }
            var resolv = await ExecAsync(ns, container, "cat", "/etc/resolv.conf");
            Assert.Contains($"search {ns}.svc.cluster.local svc.cluster.local cluster.local", resolv.Stdout, StringComparison.Ordinal);
        }
        // A short name is the pod's own namespace's: legacy has no httpbin.
        Assert.NotEqual(0, (await ExecAsync("legacy", "sleep", "getent", "hosts", "httpbin")).ExitCode);
    }

    [PodNetworkFact]
    public async Task A_pods_user_has_a_name_as_in_an_image_that_declares_it()
    {
        var app = await ExecAsync("foo", "sleep", "id", "-un");
        Assert.Equal((0, "app"), (app.ExitCode, app.Stdout.Trim()));
        var proxy = await ExecAsync("foo", "istio-proxy", "id", "-un");
        Assert.Equal((0, "istio-proxy"), (proxy.ExitCode, proxy.Stdout.Trim()));
        Assert.DoesNotContain("istio-proxy", File.ReadAllText("/etc/passwd"), StringComparison.Ordinal);
    }

    /// <summary>How long a port-forward may take to start, and httpbin to answer through it, on a loaded box.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    [PodNetworkFact]
    public async Task Meshwork_port_forward_reaches_httpbin_itself_on_the_pods_localhost_past_its_STRICT_sidecar()
    {
        await using var forward = await ForwardedPort.StartAsync(Mw.Executable,
            ["--state-dir", mesh.StatePath, "port-forward", "-n", "foo", "deploy/httpbin", ":8080"], 8080, Patience);
        await AssertHttpbinItselfAnswersAsync(forward);
    }

    [PodNetworkFact]
    public async Task Kubectl_port_forward_reaches_httpbin_itself_on_the_pods_localhost_past_its_STRICT_sidecar()
    {
        var home = Directory.CreateDirectory(Path.Combine(mesh.StatePath, "kubectl-home")).FullName;
        await using var forward = await ForwardedPort.StartAsync("kubectl",
            ["port-forward", "--address", "127.0.0.1", "-n", "foo", "deploy/httpbin", ":8080"], 8080, Patience,
            new Dictionary<string, string> { ["KUBECONFIG"] = mesh.State.KubeconfigFile, ["HOME"] = home });
        await AssertHttpbinItselfAnswersAsync(forward);
    }

    /// <summary>
    /// A plaintext GET through the forward gets httpbin's 200, which STRICT would refuse at the sidecar, with no client
    /// certificate header the sidecar would have added: the connection reached the app on the pod's localhost, as the
    /// kubelet's port-forward does (Istio's sidecar never sees it).
    /// </summary>
    private async Task AssertHttpbinItselfAnswersAsync(ForwardedPort forward)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow + Patience;
        string last;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri(forward.Url, "/headers"));
                var body = await response.Content.ReadAsStringAsync();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Assert.DoesNotContain("X-Forwarded-Client-Cert", body, StringComparison.OrdinalIgnoreCase);
                    return;
                }
                last = $"{(int)response.StatusCode}: {body}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }
            if (DateTime.UtcNow > deadline) Assert.Fail($"httpbin did not answer 200 through the port-forward within {Patience}: {last}\n{mesh.Logs()}");
            await Task.Delay(500);
        }
    }
}

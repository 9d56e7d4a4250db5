using System.Globalization;
using System.Text.Json;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Observability;

/// <summary>
/// The mtls-migration namespaces with `meshwork up --addons prometheus`: httpbin and sleep with sidecars
/// in foo, sleep without one in legacy, and Debian's Prometheus reached through
/// `meshwork port-forward -n istio-system svc/prometheus :9090`, as the tutorials reach it.
/// </summary>
public sealed class PrometheusMesh : MeshFixture
{
    private ForwardedPort? _forward;

    public CommandResult Up { get; private set; } = new(-1, "", "");
    /// <summary>http://127.0.0.1:PORT of the port-forward, or null when the mesh did not come up.</summary>
    public Uri? Prometheus => _forward?.Url;

    public override async Task InitializeAsync()
    {
        Up = await RunAsync("up", "--port", "0", "--addons", "prometheus", "-f", Sample("mtls-migration/namespaces.yaml"));
        if (Up.ExitCode != 0) return;
        await ApplyInjectedAsync(Sample("mtls-migration/httpbin.yaml"), "foo");
        await ApplyInjectedAsync(Sample("mtls-migration/sleep.yaml"), "foo");
        await MustAsync("apply", "-n", "legacy", "-f", Sample("mtls-migration/sleep.yaml"));
        // The Prometheus pod may still be starting: the forward needs a ready pod behind the Service.
        _forward = await ForwardedPort.StartAsync(Mw.Executable, ["--state-dir", StatePath, "port-forward", "-n", "istio-system", "svc/prometheus", ":9090"],
            9090, TimeSpan.FromSeconds(90));
    }

    public override async Task DisposeAsync()
    {
        if (_forward is { } forward) await forward.DisposeAsync();
        await base.DisposeAsync();
    }
}

/// <summary>
/// Istio's metrics in a real Prometheus: the scrape targets come from the control plane's service
/// discovery, so the numbers and the pods Prometheus knows follow the mesh without a restart.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class PrometheusAddonTests(PrometheusMesh mesh) : IClassFixture<PrometheusMesh>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private const string Httpbin = "http://httpbin.foo:8000/ip";
    private const int LegacyRequests = 4;
    private const string PrometheusNamespace = "istio-system";

    [Fact]
    public async Task Prometheus_counts_mutual_tls_requests_and_exactly_the_legacy_clients_plaintext_ones()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"{mesh.Up}\n{mesh.Logs()}");
        Assert.Equal("200", (await mesh.CurlUntilAsync("foo", Httpbin, "200", Patience)).Code);
        Assert.Equal("200", (await mesh.CurlAsync("foo", Httpbin)).Code);
        // The legacy client's path (network proxy → PERMISSIVE sidecar) is ready once it answers; the
        // probe asks for a teapot so that its requests are told apart by response_code.
        Assert.Equal("418", (await mesh.CurlUntilAsync("legacy", "http://httpbin.foo:8000/status/418", "418", Patience)).Code);
        for (var i = 0; i < LegacyRequests; i++) Assert.Equal("200", (await mesh.CurlAsync("legacy", Httpbin)).Code);

        const string MutualTls = "sum(istio_requests_total{reporter=\"destination\",connection_security_policy=\"mutual_tls\"})";
        const string Plaintext = "sum(istio_requests_total{reporter=\"destination\",connection_security_policy=\"none\"})";
        const string PlaintextProbes = "sum(istio_requests_total{reporter=\"destination\",connection_security_policy=\"none\",response_code=\"418\"})";
        await Mw.EventuallyAsync(async () =>
                await QueryAsync(MutualTls) > 0 && await QueryAsync(Plaintext) - await QueryAsync(PlaintextProbes) == LegacyRequests,
            Patience, async () => $"mutual_tls={await QueryAsync(MutualTls)}, none={await QueryAsync(Plaintext)}, probes={await QueryAsync(PlaintextProbes)}, " +
                $"targets={await TargetsAsync()}\n{mesh.Logs()}");
        // Every plaintext request the destinations saw came from the legacy client, to httpbin.foo.
        Assert.Equal(LegacyRequests, await QueryAsync(
            "sum(istio_requests_total{reporter=\"destination\",connection_security_policy=\"none\",response_code=\"200\",destination_workload=\"httpbin\",destination_workload_namespace=\"foo\"})"));
    }

    [Fact]
    public async Task The_traffic_graph_reads_Prometheus_when_the_addon_runs()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"{mesh.Up}\n{mesh.Logs()}");
        Assert.Equal("200", (await mesh.CurlUntilAsync("foo", Httpbin, "200", Patience)).Code);
        using var api = Meshwork.Api.MeshApiClient.FromStateDirectory(mesh.State, null);
        string graph = "";
        await Mw.EventuallyAsync(async () =>
            {
                graph = await api.SendAsync(HttpMethod.Get, "/meshwork/v1/graph?window=10m&namespace=foo", null);
                using var document = JsonDocument.Parse(graph);
                return document.RootElement.GetProperty("source").GetString() == "prometheus"
                    && document.RootElement.GetProperty("edges").EnumerateArray().Any(e =>
                        e.GetProperty("source").GetString() == "workload:foo/sleep" && e.GetProperty("padlock").GetBoolean());
            },
            Patience, () => Task.FromResult($"{graph}\n{mesh.Logs()}"));
    }

    [Fact]
    public async Task A_pod_started_after_Prometheus_is_scraped_without_restarting_it()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"{mesh.Up}\n{mesh.Logs()}");
        var prometheusPid = PrometheusPid();
        await mesh.MustAsync("create", "namespace", "late");
        await mesh.ApplyInjectedAsync(MeshFixture.Sample("mtls-migration/httpbin.yaml"), "late");

        await Mw.EventuallyAsync(async () => await QueryAsync("sum(up{job=\"envoy-stats\",namespace=\"late\",workload=\"httpbin\"})") == 1,
            Patience, async () => $"targets={await TargetsAsync()}\n{mesh.Logs()}");
        Assert.Equal(prometheusPid, PrometheusPid());
    }

    [Fact]
    public async Task The_prometheus_service_is_listed_in_istio_system()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"{mesh.Up}\n{mesh.Logs()}");
        var services = await mesh.MustAsync("get", "svc", "-n", "istio-system");
        Assert.Matches(@"(?m)^prometheus\s.*\b9090/TCP\b", services.Stdout);
    }

    [Fact]
    public async Task The_prometheus_pod_holds_a_discovery_token_that_lists_the_targets_and_opens_nothing_else()
    {
        Assert.True(mesh.Up.ExitCode == 0, $"{mesh.Up}\n{mesh.Logs()}");
        // From inside the pod, to the control plane its configuration names, with the files it was given.
        const string Script = """
            url=$(sed -n 's|^  - url: "\(https://[^/]*\)/.*|\1|p' addon/prometheus.yml)
            token=$(cat addon/discovery-token)
            for path in /meshwork/v1/prometheus/targets /api/v1/namespaces /meshwork/v1/proxies '/meshwork/v1/graph?window=10m'; do
              curl -s -o /dev/null -m 10 --cacert addon/root-cert.pem -H "Authorization: Bearer $token" -w '%{http_code} ' "$url$path"
            done
            """;
        var answers = await mesh.MustAsync("exec", "-n", PrometheusNamespace, "deploy/prometheus", "--", "sh", "-c", Script);
        Assert.Equal("200 401 403 403", answers.Stdout.Trim());

        var token = (await mesh.MustAsync("exec", "-n", PrometheusNamespace, "deploy/prometheus", "--", "cat", "addon/discovery-token")).Stdout.Trim();
        Assert.NotEqual((await File.ReadAllTextAsync(mesh.State.AdminTokenFile)).Trim(), token);
        if (!mesh.IsolatesPods) return;

        // Its own user alone reads it: not another pod, and it reads no admin token either.
        var pod = mesh.Pods(PrometheusNamespace).Single(p => p.Deployment == "prometheus" && !p.Terminating);
        var tokenFile = Path.Combine(mesh.State.PodDirectory(PrometheusNamespace, pod.Name), "addon", "discovery-token");
        var fromLegacy = await mesh.RunAsync("exec", "-n", "legacy", "deploy/sleep", "-c", "sleep", "--", "cat", tokenFile);
        Assert.True(fromLegacy.ExitCode != 0 && !fromLegacy.Stdout.Contains(token, StringComparison.Ordinal), fromLegacy.ToString());
        var adminToken = await mesh.RunAsync("exec", "-n", PrometheusNamespace, "deploy/prometheus", "--", "cat", mesh.State.AdminTokenFile);
        Assert.NotEqual(0, adminToken.ExitCode);
    }

    private int? PrometheusPid() =>
        mesh.Pods("istio-system").Single(p => p.Deployment == "prometheus" && !p.Terminating).Containers.Single().Pid;

    /// <summary>The value of an instant query's single sample (0 when the result is empty).</summary>
    private async Task<double> QueryAsync(string query)
    {
        var url = new Uri(mesh.Prometheus!, $"/api/v1/query?query={Uri.EscapeDataString(query)}");
        using var document = JsonDocument.Parse(await Http.GetStringAsync(url));
        var result = document.RootElement.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0) return 0;
        return double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    private async Task<string> TargetsAsync()
    {
        try
        {
            return await Http.GetStringAsync(new Uri(mesh.Prometheus!, "/api/v1/targets?state=active"));
        }
        catch (HttpRequestException e)
        {
            return e.Message;
        }
    }
}

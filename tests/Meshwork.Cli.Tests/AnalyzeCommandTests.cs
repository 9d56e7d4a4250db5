using Meshwork.Cli.Commands.Diagnostics;

namespace Meshwork.Cli.Tests;

/// <summary>`analyze` over files offline and over a real control plane on 127.0.0.1:0, printed and exiting as istioctl's does.</summary>
public sealed class AnalyzeCommandTests : IAsyncLifetime
{
    private readonly CliHarness _cli = new(withControlPlane: true);

    public Task InitializeAsync() => _cli.InitializeAsync();

    public Task DisposeAsync() => _cli.DisposeAsync();

    private Task<(int Exit, string Out, string Err)> MeshworkAsync(params string[] args) => _cli.RunAsync(args);

    private string Write(string name, string text) => _cli.Write(name, text);

    private const string StrictBar = """
        apiVersion: v1
        kind: Namespace
        metadata: { name: foo, labels: { istio-injection: enabled } }
        ---
        apiVersion: v1
        kind: Namespace
        metadata: { name: bar, labels: { istio-injection: enabled } }
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: { name: default, namespace: bar }
        spec: { mtls: { mode: STRICT } }
        ---
        apiVersion: v1
        kind: Service
        metadata: { name: httpbin, namespace: bar }
        spec:
          selector: { app: httpbin }
          ports: [{ name: http, port: 8000, targetPort: 8080 }]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: httpbin, namespace: bar }
        spec:
          selector: { matchLabels: { app: httpbin } }
          template:
            metadata: { labels: { app: httpbin } }
            spec:
              containers: [{ name: httpbin, image: httpbin, ports: [{ containerPort: 8080 }] }]
        """;

    private const string PlainToBar = """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: { name: plain, namespace: foo }
        spec:
          host: httpbin.bar.svc.cluster.local
          trafficPolicy: { tls: { mode: DISABLE } }
        """;

    [Fact]
    public async Task A_DestinationRule_disabling_tls_towards_a_strict_namespace_fails_offline()
    {
        var (exit, stdout, stderr) = await MeshworkAsync("analyze", "-f", Write("mesh.yaml", StrictBar), Write("dr.yaml", PlainToBar));

        Assert.Equal(AnalyzeCommand.FoundIssues, exit);
        Assert.StartsWith("Error [MWK0001] (DestinationRule plain.foo) DestinationRule foo/plain sets tls mode DISABLE", stdout);
        Assert.Contains("bar/httpbin port 8080", stdout);
        Assert.Contains("Error: Analyzer found issues.", stderr);
    }

    [Fact]
    public async Task The_same_mesh_without_the_rule_passes()
    {
        var (exit, stdout, stderr) = await MeshworkAsync("-n", "bar", "analyze", Write("mesh.yaml", StrictBar));

        Assert.Equal(0, exit);
        Assert.Equal("", stdout);
        Assert.Equal("\u2714 No validation issues found when analyzing namespace: bar.\n", stderr);
    }

    [Fact]
    public async Task The_live_mesh_is_analyzed_per_namespace_through_the_api()
    {
        Assert.Equal(0, (await MeshworkAsync("apply", "-f", Write("mesh.yaml", StrictBar))).Exit);
        Assert.Equal(0, (await MeshworkAsync("apply", "-f", Write("dr.yaml", PlainToBar))).Exit);

        var foo = await MeshworkAsync("analyze", "-n", "foo");
        var bar = await MeshworkAsync("-n", "bar", "analyze");
        var all = await MeshworkAsync("analyze", "-A");

        Assert.Equal(AnalyzeCommand.FoundIssues, foo.Exit);
        Assert.StartsWith("Error [MWK0001] (DestinationRule plain.foo)", foo.Out);
        Assert.Equal(0, bar.Exit);
        Assert.Contains("No validation issues found when analyzing namespace: bar.", bar.Err);
        Assert.Equal(AnalyzeCommand.FoundIssues, all.Exit);
        Assert.Contains("[MWK0001]", all.Out);
    }

    [Theory]
    [InlineData("mtls-migration")]
    [InlineData("mtls-test")]
    [InlineData("customers")]
    [InlineData("hipstershop-permissive")]
    [InlineData("explain/mesh-strict")]
    [InlineData("explain/mtls-migration")]
    public async Task The_tutorials_final_states_pass(string sample)
    {
        var (exit, stdout, stderr) = await MeshworkAsync("analyze", "-A", "-f", CliHarness.Sample(sample));

        Assert.True(exit == 0, stdout + stderr);
        Assert.DoesNotContain("Error [", stdout);
        Assert.DoesNotContain("[MWK0006]", stdout); // a file that updates an object is not a second policy
    }
}

using Meshwork.Cli.Commands.Diagnostics;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Meshwork.Cli.Commands;

namespace Meshwork.Cli.Tests;

/// <summary>
/// Istio's migration reachability case offline: a VirtualService sends /vistio to the subset of pods with a sidecar
/// and everything else to the subset without one, namespace STRICT, client with a sidecar. The DestinationRule's
/// tls decides which subset the client can reach.
/// </summary>
public sealed class MigrationSubsetsExplainTests : IDisposable
{
    private readonly ExplainManifests _files = new();

    public void Dispose() => _files.Dispose();

    private const string Mesh = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: mig, labels: {istio-injection: enabled}}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: mig}
        spec: {mtls: {mode: STRICT}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: migration, namespace: mig}
        spec:
          ports: [{name: http, port: 80, targetPort: 8080}]
          selector: {app: migration}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: migration-vistio, namespace: mig}
        spec:
          selector: {matchLabels: {app: migration, version: vistio}}
          template:
            metadata: {labels: {app: migration, version: vistio}}
            spec:
              containers: [{name: app, image: app, ports: [{containerPort: 8080}]}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: migration-legacy, namespace: mig}
        spec:
          selector: {matchLabels: {app: migration, version: legacy}}
          template:
            metadata:
              labels: {app: migration, version: legacy}
              annotations: {sidecar.istio.io/inject: "false"}
            spec:
              containers: [{name: app, image: app, ports: [{containerPort: 8080}]}]
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: sleep, namespace: mig}
        spec:
          selector: {matchLabels: {app: sleep}}
          template:
            metadata: {labels: {app: sleep}}
            spec:
              containers: [{name: sleep, image: curl}]
        ---
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: migration, namespace: mig}
        spec:
          hosts: [migration]
          http:
          - match: [{uri: {exact: /vistio}}]
            route: [{destination: {host: migration, subset: vistio}}]
          - route: [{destination: {host: migration, subset: legacy}}]
        """;

    private static string Rule(string? tls) => """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: migration, namespace: mig}
        spec:
          host: migration

        """ + (tls is null ? "" : "  trafficPolicy: {tls: {mode: " + tls + "}}\n") + """
          subsets:
          - {name: vistio, labels: {version: vistio}}
          - {name: legacy, labels: {version: legacy}}
        """;

    private JsonElement Explain(string path)
    {
        var root = new RootCommand("test");
        foreach (var c in DiagnosticCommands.Create()) root.Subcommands.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = root.Parse(["x", "explain", "-f", _files.Directory, "--from", "mig/sleep", "--to", "migration.mig:80", "--path", path, "-o", "json"])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        Assert.True(exit == 0, error.ToString());
        return JsonDocument.Parse(output.ToString()).RootElement.Clone();
    }

    private string Code(string path) => Explain(path).GetProperty("httpCode").GetInt32().ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(null, "200", "200")]
    [InlineData("DISABLE", "503", "200")]
    [InlineData("ISTIO_MUTUAL", "200", "503")]
    public void The_destination_rule_tls_decides_which_subset_answers(string? tls, string vistio, string legacy)
    {
        _files.Write("mesh.yaml", Mesh);
        _files.Write("dr.yaml", Rule(tls));
        Assert.Equal((vistio, legacy), (Code("/vistio"), Code("/")));
    }

    [Fact]
    public void The_route_and_the_subset_are_named_in_the_reasons()
    {
        _files.Write("mesh.yaml", Mesh);
        _files.Write("dr.yaml", Rule("DISABLE"));
        var reasons = string.Join("\n", Explain("/vistio").GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Contains("VirtualService mig/migration routes GET /vistio: route 0", reasons, StringComparison.Ordinal);
        Assert.Contains("Subset vistio of DestinationRule mig/migration selects the endpoints labelled version=vistio: mig/migration-vistio", reasons, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_no_route_matches_is_a_404()
    {
        _files.Write("mesh.yaml", Mesh.Replace("\n  - route: [{destination: {host: migration, subset: legacy}}]", "", StringComparison.Ordinal));
        _files.Write("dr.yaml", Rule(null));
        var explained = Explain("/other");
        Assert.Equal(404, explained.GetProperty("httpCode").GetInt32());
        Assert.Equal("no-route", explained.GetProperty("outcome").GetString());
    }
}

using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Policy.Tests.Routing;

/// <summary>A VirtualService naming a gateway or a subset that does not exist is reported, as istioctl analyze does (IST0101).</summary>
public sealed class RouteReferencesTests
{
    private static MeshState Mesh(string yaml)
    {
        var read = ManifestReader.Read(yaml, "test.yaml", "default");
        Assert.False(read.HasErrors, string.Join("\n", read.Errors));
        return MeshState.From(read.Resources);
    }

    private const string Resources = """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gateway, namespace: default}
        spec:
          selector: {istio: ingressgateway}
          servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: customers, namespace: default}
        spec:
          selector: {app: customers}
          ports: [{name: http, port: 80, targetPort: 3000}]
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: customers, namespace: default}
        spec:
          host: customers
          subsets: [{name: v1, labels: {version: v1}}]
        ---
        """;

    private static string Vs(string gateways, string subset, string host = "customers.default.svc.cluster.local", string matchGateways = "[]") => $$$"""
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: customers, namespace: default}
        spec:
          hosts: [customers.default.svc.cluster.local]
          gateways: {{{gateways}}}
          http: [{match: [{gateways: {{{matchGateways}}}}], route: [{destination: {host: {{{host}}}, subset: {{{subset}}}}}]}]
        """;

    private static IEnumerable<string> Check(string vs)
    {
        var mesh = Mesh(Resources + "\n" + vs);
        return RouteReferences.Check(mesh, mesh.VirtualServices).Select(r => $"{r.Field}: {r.Sentence}");
    }

    [Fact]
    public void Existing_references_are_not_reported() =>
        Assert.Empty(Check(Vs("[gateway, mesh, default/gateway]", "v1")));

    [Fact]
    public void A_missing_gateway_is_reported_with_its_namespace() =>
        Assert.Equal(["spec.gateways[0]: Referenced gateway not found: \"istio-system/gateway\""], Check(Vs("[istio-system/gateway]", "v1")));

    [Fact]
    public void A_missing_subset_is_reported_with_its_host() =>
        Assert.Equal(["spec.http[0].route[0].destination.subset: Referenced host+subset in destinationrule not found: \"customers.default.svc.cluster.local+v2\""],
            Check(Vs("[gateway]", "v2")));

    [Fact]
    public void A_missing_gateway_in_a_match_block_is_reported_with_the_blocks_field() =>
        Assert.Equal(["spec.http[0].match[0].gateways[0]: Referenced gateway not found: \"default/elsewhere\""], Check(Vs("[gateway]", "v1", matchGateways: "[elsewhere]")));

    [Fact]
    public void A_host_no_service_resolves_is_reported_and_its_subset_is_not_judged() =>
        Assert.Equal(["spec.http[0].route[0].destination.host: Referenced host not found: \"orders\""], Check(Vs("[gateway]", "v9", host: "orders")));

    [Fact]
    public void The_analyzer_reports_exactly_what_the_apply_warning_reports()
    {
        var mesh = Mesh(Resources + "\n" + Vs("[istio-system/gateway]", "v2", matchGateways: "[elsewhere]"));
        var warned = RouteReferences.Check(mesh, mesh.VirtualServices).Select(r => r.Sentence).ToArray();
        var analyzed = Meshwork.Policy.Analysis.MeshAnalyzer.Analyze(mesh).Where(m => m.Code.Code == "IST0101").Select(m => m.Text).ToArray();
        Assert.Equal(3, warned.Length);
        Assert.Equal(warned, analyzed);
    }
}

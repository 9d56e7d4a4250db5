using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.Model.Resources.ClientTlsMode;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.DestinationTls;

public class ClientTlsTests
{
    public sealed record Case(string Name, Resource[] Extra, string ClientNs, string Host, UpstreamTlsMode Expected, string Source, bool ServerSidecar = true, MeshConfig? Config = null, string? Subset = null)
    {
        public override string ToString() => Name;
    }

    private static readonly UpstreamTlsMode Mtls = UpstreamTlsMode.IstioMutual;
    private static readonly UpstreamTlsMode Plain = UpstreamTlsMode.Disable;
    private const string Auto = "auto";

    public static TheoryData<Case> Cases => new()
    {
        new("auto mTLS to a sidecar endpoint", [], "foo", "httpbin.bar", Mtls, Auto),
        new("auto plaintext to an endpoint without a sidecar", [], "foo", "httpbin.bar", Plain, Auto, ServerSidecar: false),
        new("auto mTLS off in mesh config means plaintext", [], "foo", "httpbin.bar", Plain, Auto, Config: MeshConfig.Default with { EnableAutoMtls = false }),
        new("server namespace DISABLE turns auto mTLS off even with workload STRICT",
            [PeerAuth("bar", "default", MtlsMode.Disable), PeerAuth("bar", "httpbin", MtlsMode.Strict, Labels("app=httpbin"))], "foo", "httpbin.bar", Plain, Auto),
        new("mesh DISABLE turns auto mTLS off", [PeerAuth("istio-system", "default", MtlsMode.Disable)], "foo", "httpbin.bar", Plain, Auto),
        new("workload DISABLE is honoured per endpoint", [PeerAuth("bar", "httpbin", MtlsMode.Disable, Labels("app=httpbin"))], "foo", "httpbin.bar", Plain, Auto),
        new("port-level DISABLE on the target port is honoured per endpoint",
            [PeerAuth("bar", "httpbin", MtlsMode.Strict, Labels("app=httpbin"), Ports((8080, MtlsMode.Disable)))], "foo", "httpbin.bar", Plain, Auto),
        new("explicit DISABLE applies even to a sidecar endpoint", [Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable)], "foo", "httpbin.bar", Plain, "DestinationRule foo/plain"),
        new("explicit ISTIO_MUTUAL applies even without a sidecar", [Dr("bar", "mtls", "httpbin", IstioMutual)], "foo", "httpbin.bar", Mtls, "DestinationRule bar/mtls", ServerSidecar: false),
        new("explicit SIMPLE", [Dr("bar", "tls", "httpbin", Simple)], "foo", "httpbin.bar", UpstreamTlsMode.Simple, "DestinationRule bar/tls"),
        new("explicit MUTUAL", [Dr("bar", "tls", "httpbin", Mutual)], "foo", "httpbin.bar", UpstreamTlsMode.Mutual, "DestinationRule bar/tls"),
        new("a rule without tls leaves auto mTLS on", [Dr("bar", "notls", "httpbin")], "foo", "httpbin.bar", Mtls, Auto),
        new("client namespace beats service namespace",
            [Dr("bar", "svc", "httpbin", IstioMutual), Dr("foo", "client", "httpbin.bar.svc.cluster.local", Disable)], "foo", "httpbin.bar", Plain, "DestinationRule foo/client"),
        new("service namespace beats root namespace",
            [Dr("istio-system", "root", "*.local", Disable), Dr("bar", "svc", "httpbin", IstioMutual)], "foo", "httpbin.bar", Mtls, "DestinationRule bar/svc"),
        new("root namespace applies when nothing closer does", [Dr("istio-system", "root", "*.local", Disable)], "foo", "httpbin.bar", Plain, "DestinationRule istio-system/root"),
        new("exportTo '.' hides a rule from other namespaces", [Dr("bar", "local", "httpbin", Disable, exportTo: ["."])], "foo", "httpbin.bar", Mtls, Auto),
        new("exportTo '.' shows a rule in its own namespace", [Dr("bar", "local", "httpbin", Disable, exportTo: ["."])], "bar", "httpbin", Plain, "DestinationRule bar/local"),
        new("exportTo a list of namespaces", [Dr("bar", "some", "httpbin", Disable, exportTo: ["foo"])], "foo", "httpbin.bar", Plain, "DestinationRule bar/some"),
        new("exportTo a list hides the rule from others", [Dr("bar", "some", "httpbin", Disable, exportTo: ["baz"])], "foo", "httpbin.bar", Mtls, Auto),
        new("exportTo '*' shows the rule everywhere", [Dr("bar", "all", "httpbin", Disable, exportTo: ["*"])], "foo", "httpbin.bar", Plain, "DestinationRule bar/all"),
        new("exact host beats a wildcard in the same namespace",
            [Dr("bar", "wild", "*.bar.svc.cluster.local", Disable), Dr("bar", "exact", "httpbin.bar.svc.cluster.local", IstioMutual)], "foo", "httpbin.bar", Mtls, "DestinationRule bar/exact"),
        new("a longer wildcard beats a shorter one",
            [Dr("bar", "any", "*", IstioMutual), Dr("bar", "ns", "*.bar.svc.cluster.local", Disable)], "foo", "httpbin.bar", Plain, "DestinationRule bar/ns"),
        new("a short host is relative to the rule's namespace", [Dr("foo", "short", "httpbin", Disable)], "foo", "httpbin.bar", Mtls, Auto),
        new("a host that does not cover the service is not used", [Dr("foo", "other", "sleep.bar.svc.cluster.local", Disable)], "foo", "httpbin.bar", Mtls, Auto),
        new("portLevelSettings replace the top level for that service port",
            [Dr("bar", "ports", "httpbin", Disable, portLevel: [new PortTrafficPolicy { Port = 8000, Tls = new ClientTlsSettings { Mode = IstioMutual } }])], "foo", "httpbin.bar", Mtls, "DestinationRule bar/ports", ServerSidecar: false),
        new("portLevelSettings for another port leave the top level",
            [Dr("bar", "ports", "httpbin", Disable, portLevel: [new PortTrafficPolicy { Port = 9000, Tls = new ClientTlsSettings { Mode = IstioMutual } }])], "foo", "httpbin.bar", Plain, "DestinationRule bar/ports"),
        new("a port entry without tls is not inherited from the top level: auto mTLS",
            [Dr("bar", "ports", "httpbin", Disable, portLevel: [new PortTrafficPolicy { Port = 8000 }])], "foo", "httpbin.bar", Mtls, Auto),
        new("a subset's tls overrides the top level",
            [Dr("bar", "subsets", "httpbin", Disable, subsets: [new Subset { Name = "v1", TrafficPolicy = new TrafficPolicy { Tls = new ClientTlsSettings { Mode = IstioMutual } } }])], "foo", "httpbin.bar", Mtls, "DestinationRule bar/subsets", Subset: "v1"),
        new("a subset without tls keeps the top level",
            [Dr("bar", "subsets", "httpbin", Disable, subsets: [new Subset { Name = "v1" }])], "foo", "httpbin.bar", Plain, "DestinationRule bar/subsets", Subset: "v1"),
        new("rules for one host in one namespace merge: the oldest's trafficPolicy wins",
            [Dr("bar", "first", "httpbin", Disable), Dr("bar", "second", "httpbin", IstioMutual)], "foo", "httpbin.bar", Plain, "DestinationRule bar/first"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Client_tls_follows_destination_rules_and_auto_mtls(Case c)
    {
        var resources = MigrationSetup();
        if (!c.ServerSidecar)
        {
            resources.RemoveAll(r => r is Namespace { Metadata.Name: "bar" });
            resources.Add(Namespace("bar"));
        }
        resources.AddRange(c.Extra);
        var mesh = c.Config is null ? Mesh([.. resources]) : Mesh(resources, c.Config);
        var target = ServiceResolver.Resolve(mesh, c.ClientNs, c.Host, 8000)!;
        var (endpoint, port) = Assert.Single(ServiceResolver.Endpoints(mesh, target));
        Assert.Equal(c.ServerSidecar, endpoint.HasSidecar);

        var decision = ClientTls.Decide(mesh, c.ClientNs, target, endpoint, port, c.Subset);

        Assert.Equal(c.Expected, decision.Mode);
        Assert.Equal(c.Source, decision.Source);
        Assert.NotEmpty(decision.Reasons);
        // Generation asks for the decision without its explanation: the same decision, no sentences.
        var unexplained = ClientTls.Decide(mesh, c.ClientNs, target, endpoint, port, c.Subset, explain: false);
        Assert.Equal((decision.Mode, decision.Source, decision.Sni), (unexplained.Mode, unexplained.Source, unexplained.Sni));
        Assert.Empty(unexplained.Reasons);
    }

    [Fact]
    public void Auto_mtls_sends_the_istio_sni()
    {
        var mesh = Mesh([.. MigrationSetup()]);
        var target = ServiceResolver.Resolve(mesh, "foo", "httpbin.bar", 8000)!;
        var (endpoint, port) = ServiceResolver.Endpoints(mesh, target)[0];
        Assert.Equal("outbound_.8000_._.httpbin.bar.svc.cluster.local", ClientTls.Decide(mesh, "foo", target, endpoint, port).Sni);
    }

    [Fact]
    public void Hidden_rule_is_named_in_the_reasons()
    {
        var mesh = Mesh([.. MigrationSetup(), Dr("bar", "local", "httpbin", Disable, exportTo: ["."])]);
        var target = ServiceResolver.Resolve(mesh, "foo", "httpbin.bar", 8000)!;
        var (endpoint, port) = ServiceResolver.Endpoints(mesh, target)[0];
        var decision = ClientTls.Decide(mesh, "foo", target, endpoint, port);
        Assert.Contains(decision.Reasons, r => r.Resource == "DestinationRule/bar/local" && r.Field == "spec.exportTo");
    }

    private static PeerAuthentication PeerAuth(string ns, string name, MtlsMode mode, System.Collections.Immutable.ImmutableSortedDictionary<string, string>? selector = null, System.Collections.Immutable.ImmutableSortedDictionary<int, MtlsMode>? portLevel = null)
        => Pa(ns, name, mode, selector, portLevel);
}

using Meshwork.Model.Resources;
using Meshwork.Policy.Analysis;
using static Meshwork.Model.Resources.ClientTlsMode;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Analysis;

/// <summary>
/// analyze over the mtls-migration setup (foo and bar injected, legacy not) plus one change per case: the
/// findings it adds, as "CODE Kind namespace/name". The setup alone only has legacy's injection note.
/// </summary>
public class MeshAnalyzerTests
{
    public sealed record Case(string Name, Resource[] Extra, string[] Expected)
    {
        public override string ToString() => Name;
    }

    private static readonly DateTimeOffset Earlier = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = Earlier.AddHours(1);

    public static TheoryData<Case> Cases => new()
    {
        new("the setup alone is clean", [], []),
        new("DISABLE towards a STRICT namespace is an error",
            [Pa("bar", "default", MtlsMode.Strict), Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable)], ["MWK0001 DestinationRule foo/plain"]),
        new("DISABLE towards a STRICT workload port, set port-level in the rule",
            [Pa("bar", "httpbin", MtlsMode.Strict, Labels("app=httpbin")), Dr("bar", "plain", "httpbin", portLevel: [new PortTrafficPolicy { Port = 8000, Tls = new ClientTlsSettings { Mode = Disable } }])],
            ["MWK0001 DestinationRule bar/plain"]),
        new("DISABLE towards a PERMISSIVE namespace is allowed", [Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable)], []),
        new("DISABLE shadowed by an older rule in the same namespace decides nothing",
            [Pa("bar", "default", MtlsMode.Strict), Dr("foo", "mtls", "httpbin.bar.svc.cluster.local", IstioMutual, created: Earlier), Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable, created: Later)], []),
        new("ISTIO_MUTUAL towards a workload without a sidecar is an error",
            [Deployment("legacy", "httpbin", ports: [8080]), Service("legacy", "httpbin", Port(8000, "http", 8080)), Dr("legacy", "mtls", "httpbin", IstioMutual)],
            ["MWK0002 DestinationRule legacy/mtls"]),
        new("ISTIO_MUTUAL towards sidecars is fine", [Dr("bar", "mtls", "httpbin", IstioMutual)], []),
        new("explicit tls for a host whose endpoints mix sidecar and plain pods",
            [Deployment("bar", "httpbin-plain", ports: [8080], labels: Labels("app=httpbin", "version=plain"), annotations: Labels("sidecar.istio.io/inject=false")), Dr("bar", "plain", "httpbin", Disable)],
            ["MWK0003 DestinationRule bar/plain"]),
        new("portLevelMtls on the Service port instead of the target port",
            [Pa("bar", "httpbin", MtlsMode.Strict, Labels("app=httpbin"), Ports((8000, MtlsMode.Permissive)))], ["MWK0004 PeerAuthentication bar/httpbin"]),
        new("portLevelMtls on the target port is fine",
            [Pa("bar", "httpbin", MtlsMode.Strict, Labels("app=httpbin"), Ports((8080, MtlsMode.Permissive)))], []),
        new("a selector policy in the root namespace never applies",
            [Pa("istio-system", "httpbin", MtlsMode.Strict, Labels("app=httpbin"))], ["MWK0005 PeerAuthentication istio-system/httpbin"]),
        new("two namespace-wide policies: the newer one is ignored",
            [Pa("foo", "old", MtlsMode.Strict, created: Earlier), Pa("foo", "new", MtlsMode.Permissive, created: Later)], ["MWK0006 PeerAuthentication foo/new"]),
        new("two mesh-wide policies: the newer one is ignored",
            [Pa("istio-system", "new", MtlsMode.Permissive, created: Later), Pa("istio-system", "default", MtlsMode.Strict, created: Earlier)], ["MWK0006 PeerAuthentication istio-system/new"]),
        new("two workload policies selecting one workload: the newer one is ignored",
            [Pa("bar", "a", MtlsMode.Strict, Labels("app=httpbin"), created: Earlier), Pa("bar", "b", MtlsMode.Disable, Labels("version=v1"), created: Later)], ["MWK0006 PeerAuthentication bar/b"]),
        new("a namespace policy and a workload policy are different levels", [Pa("bar", "default", MtlsMode.Strict), Pa("bar", "httpbin", MtlsMode.Permissive, Labels("app=httpbin"))], []),
        new("an AuthorizationPolicy selecting nothing",
            [Ap("foo", "nothing", AuthorizationAction.Allow, [], Labels("app=bogus", "version=v1"))], ["IST0127 AuthorizationPolicy foo/nothing"]),
        new("an AuthorizationPolicy in the root namespace selects in every namespace",
            [Ap("istio-system", "httpbins", AuthorizationAction.Allow, [], Labels("app=httpbin"))], []),
        new("SIMPLE without caCertificates, top level and port level",
            [Dr("foo", "tls", "httpbin.bar.svc.cluster.local", Simple, portLevel: [new PortTrafficPolicy { Port = 8443, Tls = new ClientTlsSettings { Mode = Mutual } }])],
            ["IST0128 DestinationRule foo/tls", "IST0129 DestinationRule foo/tls"]),
        new("a VirtualService naming a missing gateway, host and subset",
            [Vs("foo", "route", gateway: "nowhere", host: "httpbin.bar", subset: "v9"), Vs("foo", "lost", gateway: "mesh", host: "nothing")],
            ["IST0101 VirtualService foo/lost", "IST0101 VirtualService foo/route"]),
        new("a pod that injection asks a sidecar for runs without one", [PlainPod("foo", "sleep-1")], ["IST0103 Pod foo/sleep-1"]),
        new("a namespace without an injection label is noted", [Namespace("baz")], ["IST0102 Namespace /baz"]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Findings(Case c)
    {
        var baseline = Codes(MeshAnalyzer.Analyze(Mesh([.. MigrationSetup()])));
        var findings = Codes(MeshAnalyzer.Analyze(Mesh([.. MigrationSetup(), .. c.Extra])));
        Assert.Equal(["IST0102 Namespace /legacy"], baseline);
        Assert.Equal(c.Expected, findings.Except(baseline).Distinct().ToArray());
    }

    [Fact]
    public void Only_errors_fail_the_run()
    {
        Assert.False(MeshAnalyzer.HasErrors(MeshAnalyzer.Analyze(Mesh([.. MigrationSetup(), PlainPod("foo", "sleep-1")]))));
        Assert.True(MeshAnalyzer.HasErrors(MeshAnalyzer.Analyze(Mesh([.. MigrationSetup(), Pa("bar", "default", MtlsMode.Strict), Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable)]))));
    }

    [Fact]
    public void A_namespace_filter_keeps_the_findings_about_that_namespace()
    {
        var mesh = Mesh([.. MigrationSetup(), Pa("bar", "default", MtlsMode.Strict), Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable)]);
        Assert.Equal(["MWK0001 DestinationRule foo/plain"], Codes(MeshAnalyzer.Analyze(mesh, "foo")));
        Assert.Empty(MeshAnalyzer.Analyze(mesh, "bar"));
        Assert.Equal(["IST0102 Namespace /legacy"], Codes(MeshAnalyzer.Analyze(mesh, "legacy")));
    }

    [Fact]
    public void The_DISABLE_message_names_the_strict_workload_and_the_policy_that_made_it_strict()
    {
        var mesh = Mesh([.. MigrationSetup(), Pa("bar", "default", MtlsMode.Strict), Dr("foo", "plain", "httpbin.bar.svc.cluster.local", Disable)]);
        var message = Assert.Single(MeshAnalyzer.Analyze(mesh, "foo"));
        Assert.Equal(AnalysisLevel.Error, message.Level);
        Assert.Contains("bar/httpbin port 8080 (PeerAuthentication bar/default (namespace-wide)) is STRICT", message.Text);
        Assert.Contains("DISABLE", message.Text);
    }

    private static string[] Codes(IEnumerable<AnalysisMessage> messages) =>
        [.. messages.Select(m => $"{m.Code.Code} {m.Kind} {m.Namespace}/{m.Name}")];

    private static Pod PlainPod(string ns, string name) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(ns, name, Labels("app=sleep")),
        Spec = new PodSpec { ServiceAccountName = "sleep", Containers = [new Container { Name = "sleep" }] },
        Status = new PodStatus { Phase = "Running", PodIP = "127.0.0.10" },
    };

    private static VirtualService Vs(string ns, string name, string gateway, string host, string? subset = null) => new()
    {
        ApiVersion = "networking.istio.io/v1",
        Metadata = Meta(ns, name),
        Spec = new VirtualServiceSpec
        {
            Hosts = ["*"],
            Gateways = [gateway],
            Http = [new HttpRoute { Route = [new WeightedDestination { Destination = new RouteDestination { Host = host, Subset = subset } }] }],
        },
    };
}

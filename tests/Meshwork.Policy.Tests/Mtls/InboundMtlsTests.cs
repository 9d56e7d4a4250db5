using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.Model.Resources.MtlsMode;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Mtls;

public class InboundMtlsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly Workload Httpbin = Workload("foo", "httpbin", labels: Labels("app=httpbin", "version=v1"));

    public sealed record Case(string Name, Resource[] Resources, int Port, InboundTlsMode Expected, string Source)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> Cases => new()
    {
        new("nothing anywhere is PERMISSIVE", [], 8080, InboundTlsMode.Permissive, "default"),
        new("mesh STRICT applies to every namespace", [Pa("istio-system", "default", Strict)], 8080, InboundTlsMode.Strict, "istio-system/default (mesh-wide)"),
        new("mesh UNSET means PERMISSIVE", [Pa("istio-system", "default", Unset)], 8080, InboundTlsMode.Permissive, "default"),
        new("namespace overrides mesh", [Pa("istio-system", "default", Strict), Pa("foo", "default", Permissive)], 8080, InboundTlsMode.Permissive, "foo/default (namespace-wide)"),
        new("namespace UNSET inherits the mesh mode", [Pa("istio-system", "default", Strict), Pa("foo", "default", Unset)], 8080, InboundTlsMode.Strict, "istio-system/default (mesh-wide)"),
        new("namespace policy of another namespace does not apply", [Pa("bar", "default", Strict)], 8080, InboundTlsMode.Permissive, "default"),
        new("an empty selector counts as namespace-wide", [Pa("foo", "default", Strict, selector: Labels())], 8080, InboundTlsMode.Strict, "foo/default (namespace-wide)"),
        new("an empty selector in the root namespace counts as mesh-wide", [Pa("istio-system", "default", Disable, selector: Labels())], 8080, InboundTlsMode.Disable, "istio-system/default (mesh-wide)"),
        new("workload overrides namespace", [Pa("foo", "default", Strict), Pa("foo", "httpbin", Disable, Labels("app=httpbin"))], 8080, InboundTlsMode.Disable, "foo/httpbin (workload)"),
        new("workload UNSET inherits namespace", [Pa("foo", "default", Strict), Pa("foo", "httpbin", Unset, Labels("app=httpbin"))], 8080, InboundTlsMode.Strict, "foo/default (namespace-wide)"),
        new("workload UNSET inherits mesh when no namespace policy", [Pa("istio-system", "default", Strict), Pa("foo", "httpbin", Unset, Labels("app=httpbin"))], 8080, InboundTlsMode.Strict, "istio-system/default (mesh-wide)"),
        new("selector must match every label", [Pa("foo", "x", Strict, Labels("app=httpbin", "version=v2"))], 8080, InboundTlsMode.Permissive, "default"),
        new("selector is a subset match", [Pa("foo", "x", Strict, Labels("version=v1"))], 8080, InboundTlsMode.Strict, "foo/x (workload)"),
        new("root-namespace policy with a selector is ignored", [Pa("istio-system", "httpbin", Strict, Labels("app=httpbin"))], 8080, InboundTlsMode.Permissive, "default"),
        new("portLevelMtls overrides the workload mode for that port", [Pa("istio-system", "default", Strict), Pa("foo", "httpbin", Strict, Labels("app=httpbin"), Ports((8080, Disable)))], 8080, InboundTlsMode.Disable, "foo/httpbin (workload, port 8080)"),
        new("portLevelMtls leaves other ports alone", [Pa("foo", "httpbin", Strict, Labels("app=httpbin"), Ports((8080, Disable)))], 9090, InboundTlsMode.Strict, "foo/httpbin (workload)"),
        new("portLevelMtls UNSET takes the workload's effective mode", [Pa("istio-system", "default", Strict), Pa("foo", "httpbin", Unset, Labels("app=httpbin"), Ports((8080, Unset)))], 8080, InboundTlsMode.Strict, "istio-system/default (mesh-wide)"),
        new("portLevelMtls is keyed by workload port, not service port", [Pa("foo", "httpbin", Strict, Labels("app=httpbin"), Ports((8000, Disable)))], 8080, InboundTlsMode.Strict, "foo/httpbin (workload)"),
        new("portLevelMtls without a selector is ignored", [Pa("foo", "default", Strict, portLevel: Ports((8080, Disable)))], 8080, InboundTlsMode.Strict, "foo/default (namespace-wide)"),
        new("two mesh policies: the oldest by timestamp wins",
            [Pa("istio-system", "b-new", Disable, created: T0.AddSeconds(5)), Pa("istio-system", "a-old", Strict, created: T0)], 8080, InboundTlsMode.Strict, "istio-system/a-old (mesh-wide)"),
        new("two namespace policies with equal timestamps: name breaks the tie",
            [Pa("foo", "zeta", Disable, created: T0), Pa("foo", "alpha", Strict, created: T0)], 8080, InboundTlsMode.Strict, "foo/alpha (namespace-wide)"),
        new("without timestamps, earlier in the input is older",
            [Pa("foo", "zeta", Disable), Pa("foo", "alpha", Strict)], 8080, InboundTlsMode.Disable, "foo/zeta (namespace-wide)"),
        new("two workload policies: the oldest wins as a whole, port settings included",
            [Pa("foo", "old", Strict, Labels("app=httpbin"), created: T0), Pa("foo", "new", Permissive, Labels("app=httpbin"), Ports((8080, Disable)), created: T0.AddMinutes(1))],
            8080, InboundTlsMode.Strict, "foo/old (workload)"),
        new("namespace DISABLE with workload STRICT is STRICT for the workload", [Pa("foo", "default", Disable), Pa("foo", "httpbin", Strict, Labels("app=httpbin"))], 8080, InboundTlsMode.Strict, "foo/httpbin (workload)"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Effective_mode_follows_istio_precedence(Case c)
    {
        var decision = InboundMtls.Effective(Mesh(c.Resources), Httpbin, c.Port);
        Assert.Equal(c.Expected, decision.Mode);
        Assert.EndsWith(c.Source, decision.Source, StringComparison.Ordinal);
        Assert.NotEmpty(decision.Reasons);
        // Generation asks for the decision without its explanation: the same decision, no sentences.
        var unexplained = InboundMtls.Effective(Mesh(c.Resources), Httpbin, c.Port, explain: false);
        Assert.Equal((decision.Mode, decision.Source), (unexplained.Mode, unexplained.Source));
        Assert.Empty(unexplained.Reasons);
    }

    [Fact]
    public void Ignored_root_selector_policy_is_explained()
    {
        var decision = InboundMtls.Effective(Mesh(Pa("istio-system", "httpbin", Strict, Labels("app=httpbin"))), Httpbin, 8080);
        var reason = Assert.Single(decision.Reasons, r => r.Resource == "PeerAuthentication/istio-system/httpbin");
        Assert.Equal("spec.selector", reason.Field);
        Assert.Contains("ignored", reason.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void Newer_namespace_policy_is_reported_as_ignored()
    {
        var decision = InboundMtls.Effective(Mesh(Pa("foo", "first", Strict), Pa("foo", "second", Disable)), Httpbin, 8080);
        Assert.Contains(decision.Reasons, r => r.Resource == "PeerAuthentication/foo/second" && r.Sentence.Contains("ignored", StringComparison.Ordinal));
    }

    [Fact]
    public void A_custom_root_namespace_is_honoured()
    {
        var mesh = Mesh([Pa("mesh-root", "default", Strict), Pa("istio-system", "default", Disable)], MeshConfig.Default with { RootNamespace = "mesh-root" });
        Assert.Equal(InboundTlsMode.Strict, InboundMtls.Effective(mesh, Httpbin, 8080).Mode);
    }

    [Fact]
    public void Namespace_level_ignores_workload_policies()
    {
        var mesh = Mesh(Pa("foo", "default", Disable), Pa("foo", "httpbin", Strict, Labels("app=httpbin")));
        Assert.Equal(InboundTlsMode.Disable, InboundMtls.NamespaceLevel(mesh, "foo").Mode);
    }
}

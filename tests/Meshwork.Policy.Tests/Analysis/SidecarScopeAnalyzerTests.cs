using Meshwork.Model.Resources;
using Meshwork.Policy.Analysis;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Analysis;

/// <summary>analyze's MWK0007: a workload known to call a mesh Service that its Sidecar scope leaves out.</summary>
public sealed class SidecarScopeAnalyzerTests
{
    /// <summary>bar/httpbin allows foo/sleep by name: foo/sleep is a known caller of httpbin.bar.</summary>
    private static readonly AuthorizationPolicy AllowsSleep = Ap("bar", "httpbin-callers", AuthorizationAction.Allow,
        [new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/foo/sa/sleep"] }] }], Labels("app=httpbin"));

    [Fact]
    public void A_known_caller_whose_Sidecar_leaves_the_service_out_is_warned_about_on_the_Sidecar()
    {
        var message = Assert.Single(Findings(AllowsSleep, Sidecar("foo", "default", "./*")));

        Assert.Equal(("MWK0007", "Sidecar", "foo", "default", AnalysisLevel.Warning), (message.Code.Code, message.Kind, message.Namespace, message.Name, message.Level));
        Assert.Contains("foo/sleep calls httpbin.bar.svc.cluster.local (AuthorizationPolicy bar/httpbin-callers allows it)", message.Text, StringComparison.Ordinal);
        Assert.Contains("plaintext passthrough", message.Text, StringComparison.Ordinal);
        Assert.Contains("\"bar/httpbin.bar.svc.cluster.local\"", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Under_REGISTRY_ONLY_the_warning_says_the_calls_fail()
    {
        var sidecar = Sidecar("foo", "default", "./*") with { Spec = Sidecar("foo", "default", "./*").Spec with { OutboundTrafficPolicy = OutboundTrafficMode.RegistryOnly } };

        Assert.Contains("502", Assert.Single(Findings(AllowsSleep, sidecar)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scope_that_includes_the_service_is_clean()
    {
        Assert.Empty(Findings(AllowsSleep, Sidecar("foo", "default", "./*", "bar/*")));
        Assert.Empty(Findings(AllowsSleep, Sidecar("foo", "default", "*/httpbin.bar.svc.cluster.local")));
    }

    [Fact]
    public void Without_a_known_call_nothing_is_reported()
    {
        Assert.Empty(Findings(Sidecar("foo", "default", "./*")));
    }

    [Fact]
    public void Observed_traffic_makes_a_known_call_too()
    {
        var context = new AnalysisContext(Mesh([.. MigrationSetup(), Sidecar("foo", "default", "./*")]))
        {
            ObservedCalls = [new ObservedCall("foo", "sleep", "httpbin.bar.svc.cluster.local")],
        };

        var message = Assert.Single(MeshAnalyzer.All.SelectMany(a => a.Analyze(context)), m => m.Code == AnalysisCode.ServiceOutsideSidecarScope);
        Assert.Contains("(observed traffic)", message.Text, StringComparison.Ordinal);
    }

    private static List<AnalysisMessage> Findings(params Resource[] extra)
        => [.. MeshAnalyzer.Analyze(Mesh([.. MigrationSetup(), .. extra])).Where(m => m.Code == AnalysisCode.ServiceOutsideSidecarScope)];

    private static Sidecar Sidecar(string ns, string name, params string[] hosts) => new()
    {
        ApiVersion = "networking.istio.io/v1",
        Metadata = Meta(ns, name),
        Spec = new SidecarSpec { Egress = [new SidecarEgress { Hosts = [.. hosts] }] },
    };
}

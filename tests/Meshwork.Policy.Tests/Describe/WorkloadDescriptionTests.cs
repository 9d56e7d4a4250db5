using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.Model.Resources.ClientTlsMode;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Describe;

/// <summary>What `x describe pod` reports for httpbin in bar, over the mtls-migration setup.</summary>
public class WorkloadDescriptionTests
{
    private static WorkloadDescription Describe(params Resource[] extra)
    {
        var mesh = Mesh([.. MigrationSetup(), .. extra]);
        var httpbin = mesh.Deployments.Single(d => d.Metadata.Namespace == "bar" && d.Metadata.Name == "httpbin");
        return WorkloadDescription.Of(mesh, Workload.FromDeployment(httpbin, mesh));
    }

    [Fact]
    public void Without_policies_it_is_permissive_by_default_with_its_service_and_identity()
    {
        var d = Describe();
        Assert.Equal(InboundTlsMode.Permissive, d.WorkloadMtls.Mode);
        Assert.Equal("default", d.WorkloadMtls.Source);
        Assert.Empty(d.PortMtls);
        var service = Assert.Single(d.Services);
        Assert.Equal((8000, 8080), (service.Target.Port.Port, service.TargetPort));
        Assert.Equal("spiffe://cluster.local/ns/bar/sa/httpbin", d.Identity);
        Assert.Empty(d.DestinationRules);
        Assert.Empty(d.AuthorizationPolicies);
    }

    [Fact]
    public void The_workload_mode_names_its_policy_and_a_differing_port_is_listed()
    {
        var d = Describe(Pa("bar", "default", MtlsMode.Permissive), Pa("bar", "httpbin", MtlsMode.Strict, Labels("app=httpbin"), Ports((8080, MtlsMode.Permissive))));
        Assert.Equal(InboundTlsMode.Strict, d.WorkloadMtls.Mode);
        Assert.Equal("PeerAuthentication bar/httpbin (workload)", d.WorkloadMtls.Source);
        var (port, decision) = Assert.Single(d.PortMtls);
        Assert.Equal((8080, InboundTlsMode.Permissive), (port, decision.Mode));
    }

    [Fact]
    public void The_destination_rule_and_authorization_policies_that_apply_are_listed()
    {
        var d = Describe(Dr("bar", "mtls", "httpbin", IstioMutual), Dr("foo", "elsewhere", "httpbin.bar.svc.cluster.local", Disable),
            Ap("bar", "allow-foo", AuthorizationAction.Allow, [], Labels("app=httpbin")), Ap("bar", "other", AuthorizationAction.Deny, [], Labels("app=sleep")));
        var rule = Assert.Single(d.DestinationRules);
        Assert.Equal(("bar/mtls", "ISTIO_MUTUAL"), (rule.Rule.Name, rule.TlsMode));
        Assert.Equal(["allow-foo"], d.AuthorizationPolicies.Select(p => p.Name.Split('/')[^1]).ToArray());
    }
}

using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Naming;

public class SecureNamingTests
{
    [Fact]
    public void Accepted_identities_are_the_service_accounts_of_the_endpoints()
    {
        var resources = MigrationSetup();
        resources.Add(Deployment("bar", "httpbin-v2", serviceAccount: "httpbin-v2", ports: [8080], labels: Labels("app=httpbin", "version=v2")));
        var mesh = Mesh([.. resources]);
        var target = ServiceResolver.Resolve(mesh, "foo", "httpbin.bar", 8000)!;
        Assert.Equal(
            ["spiffe://cluster.local/ns/bar/sa/httpbin", "spiffe://cluster.local/ns/bar/sa/httpbin-v2"],
            SecureNaming.AcceptedIdentities(mesh, "foo", target).ToArray());
    }

    [Fact]
    public void Identities_are_expanded_with_trust_domain_aliases()
    {
        var config = MeshConfig.Default with { TrustDomain = "new.example", TrustDomainAliases = ["old.example"] };
        var mesh = Mesh(MigrationSetup(), config);
        var target = ServiceResolver.Resolve(mesh, "foo", "httpbin.bar", 8000)!;
        Assert.Equal(
            ["spiffe://new.example/ns/bar/sa/httpbin", "spiffe://old.example/ns/bar/sa/httpbin"],
            SecureNaming.AcceptedIdentities(mesh, "foo", target).ToArray());
    }

    [Fact]
    public void Destination_rule_subject_alt_names_replace_the_derived_list()
    {
        var mesh = Mesh([.. MigrationSetup(), Dr("bar", "san", "httpbin", ClientTlsMode.IstioMutual, subjectAltNames: ["spiffe://cluster.local/ns/bar/sa/other"])]);
        var target = ServiceResolver.Resolve(mesh, "foo", "httpbin.bar", 8000)!;
        Assert.Equal(["spiffe://cluster.local/ns/bar/sa/other"], SecureNaming.AcceptedIdentities(mesh, "foo", target).ToArray());
    }

    [Theory]
    [InlineData("cluster.local/ns/foo/sa/sleep", new[] { "td/ns/foo/sa/sleep", "alias/ns/foo/sa/sleep" })]
    [InlineData("alias/ns/foo/sa/sleep", new[] { "td/ns/foo/sa/sleep", "alias/ns/foo/sa/sleep" })]
    [InlineData("other/ns/foo/sa/sleep", new[] { "other/ns/foo/sa/sleep" })]
    [InlineData("*", new[] { "*" })]
    public void Authorization_principals_cover_the_trust_domain_and_its_aliases(string principal, string[] expected)
    {
        var config = MeshConfig.Default with { TrustDomain = "td", TrustDomainAliases = ["alias"] };
        Assert.Equal(expected, TrustDomains.ExpandPrincipals(config, [principal]).ToArray());
    }
}

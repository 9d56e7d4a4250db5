using Meshwork.Model.Schema;

namespace Meshwork.Model.Tests.Schema;

public class KindRegistryTests
{
    [Theory]
    [InlineData("po", "Pod", "pods", true)]
    [InlineData("svc", "Service", "services", true)]
    [InlineData("ns", "Namespace", "namespaces", false)]
    [InlineData("deploy", "Deployment", "deployments", true)]
    [InlineData("vs", "VirtualService", "virtualservices", true)]
    [InlineData("dr", "DestinationRule", "destinationrules", true)]
    [InlineData("pa", "PeerAuthentication", "peerauthentications", true)]
    [InlineData("gw", "Gateway", "gateways", true)]
    [InlineData("sa", "ServiceAccount", "serviceaccounts", true)]
    [InlineData("cm", "ConfigMap", "configmaps", true)]
    [InlineData("ap", "AuthorizationPolicy", "authorizationpolicies", true)]
    [InlineData("secret", "Secret", "secrets", true)]
    [InlineData("PeerAuthentication", "PeerAuthentication", "peerauthentications", true)]
    [InlineData("peerauthentication", "PeerAuthentication", "peerauthentications", true)]
    [InlineData("authorizationpolicies.security.istio.io", "AuthorizationPolicy", "authorizationpolicies", true)]
    [InlineData("Deployments", "Deployment", "deployments", true)]
    public void Resolves_what_users_type(string name, string kind, string plural, bool namespaced)
    {
        Assert.True(KindRegistry.TryResolve(name, out var info));
        Assert.Equal((kind, plural, namespaced), (info.Kind, info.Plural, info.Namespaced));
    }

    [Theory]
    [InlineData("serviceentry")]
    [InlineData("p")]
    [InlineData("")]
    public void Unknown_names_do_not_resolve(string name) => Assert.False(KindRegistry.TryResolve(name, out _));

    [Fact]
    public void Istio_kinds_serve_the_versions_istio_serves()
    {
        Assert.True(KindRegistry.TryResolve("pa", out var pa));
        Assert.Equal(["security.istio.io/v1", "security.istio.io/v1beta1"], pa.ApiVersions);
        Assert.True(KindRegistry.TryResolve("gw", out var gw));
        Assert.True(gw.Serves("networking.istio.io/v1alpha3"));
        Assert.False(gw.Serves("networking.istio.io/v1alpha1"));
        Assert.True(KindRegistry.TryResolve("svc", out var svc));
        Assert.Equal(("", "v1"), (svc.ApiGroup, svc.PreferredApiVersion));
    }

    [Fact]
    public void Rest_paths_map_back_to_kinds()
    {
        Assert.True(KindRegistry.TryGetByPlural("security.istio.io", "peerauthentications", out var info));
        Assert.Equal("PeerAuthentication", info.Kind);
        Assert.False(KindRegistry.TryGetByPlural("", "peerauthentications", out _));
    }

    [Fact]
    public void Document_kinds_are_case_sensitive_as_in_the_api()
    {
        Assert.True(KindRegistry.TryGetKind("Gateway", out _));
        Assert.False(KindRegistry.TryGetKind("gateway", out _));
    }
}

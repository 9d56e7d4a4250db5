using System.Collections.Immutable;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.Policy.Traffic;
using Meshwork.Policy.Why;
using Meshwork.Testing;

namespace Meshwork.Policy.Tests.Why;

/// <summary>
/// `x why` on the mtls-migration mesh (seed 003): one case per failure the proxy and authorization tests
/// produce, each from the real policy engine and, for the certificate causes, real certificates as the
/// sidecars hold them. Each case asserts the cause named and the evidence that names its source.
/// </summary>
public sealed class CallDiagnoserTests
{
    private const string FooStrict = MigrationMesh.FooStrict;

    private static MeshState Mesh(string overlay = "") => MigrationMesh.With(overlay);

    /// <summary>A DestinationRule with one trafficPolicy.tls, in YAML flow style.</summary>
    private static string Rule(string ns, string name, string host, string tls) => $$"""
        apiVersion: networking.istio.io/v1beta1
        kind: DestinationRule
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          host: {{host}}
          trafficPolicy: {tls: {{tls}}}
        """;

    private static CallDiagnosis Why(MeshState mesh, string fromNamespace, string host, int port, string path = "/ip", LiveCallState? live = null)
    {
        var client = Workload.FromDeployment(mesh.Deployments.Single(d => d.Metadata.Namespace == fromNamespace && d.Metadata.Name == "sleep"), mesh);
        var query = new TrafficQuery { Client = client, ClientNamespace = fromNamespace, Host = host, Port = port, Path = path };
        return CallDiagnoser.Diagnose(mesh, query, live ?? LiveCallState.Empty);
    }

    private static ProxyCertificates Held(WorkloadCredentials credentials) => new(credentials.Leaf, credentials.Intermediates, credentials.TrustBundle);

    [Fact]
    public void A_call_nothing_stops_has_no_cause()
    {
        var d = Why(Mesh(), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.None, d.Cause);
        Assert.Equal("foo/httpbin", d.Endpoint);
        Assert.StartsWith("Nothing is wrong: ", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Plaintext_from_a_pod_without_sidecar_to_a_strict_port_is_named_with_the_policy_and_the_live_refusals()
    {
        var live = new LiveCallState
        {
            ClientAddress = "127.1.0.9",
            RefusedFromClient = ImmutableDictionary<string, ImmutableArray<RefusedConnections>>.Empty
                .Add("foo/httpbin", [new RefusedConnections("plaintext_on_strict", 8080, 3)]),
        };
        var d = Why(Mesh(FooStrict), "legacy", "httpbin.foo", 8000, live: live);
        Assert.Equal(CallFailureCause.StrictAgainstPlaintext, d.Cause);
        Assert.Contains("no sidecar", d.Summary, StringComparison.Ordinal);
        Assert.Contains("PeerAuthentication foo/default", d.Summary, StringComparison.Ordinal);
        Assert.Contains(d.Evidence, r => r.Sentence.Contains("refused 3 connection(s) from 127.1.0.9 on port 8080 (reason plaintext_on_strict)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_meshed_client_whose_destination_rule_disables_tls_towards_a_strict_port_is_named_with_the_rule()
    {
        var d = Why(Mesh(FooStrict + "\n---\n" + Rule("bar", "httpbin-plain", "httpbin.foo.svc.cluster.local", "{mode: DISABLE}")), "bar", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.StrictAgainstPlaintext, d.Cause);
        Assert.Contains("DestinationRule", d.Summary, StringComparison.Ordinal);
        Assert.Contains("httpbin-plain", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Istio_mtls_towards_a_workload_without_sidecar_is_a_peer_not_meshed()
    {
        var d = Why(Mesh(Rule("foo", "sleep-legacy", "sleep.legacy.svc.cluster.local", "{mode: ISTIO_MUTUAL}")), "foo", "sleep.legacy", 80, "/");
        Assert.Equal(CallFailureCause.PeerNotMeshed, d.Cause);
        Assert.Equal("legacy/sleep", d.Endpoint);
        Assert.StartsWith("The client's sidecar starts Istio mTLS (DestinationRule foo/sleep-legacy)", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Simple_tls_towards_a_sidecar_is_a_tls_mode_mismatch()
    {
        var d = Why(Mesh(Rule("foo", "httpbin-simple", "httpbin.foo.svc.cluster.local", "{mode: SIMPLE}")), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.TlsModeMismatch, d.Cause);
        Assert.Contains("SIMPLE", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_identity_the_destination_rule_does_not_accept_is_an_identity_mismatch()
    {
        var d = Why(Mesh(Rule("foo", "httpbin-san", "httpbin.foo.svc.cluster.local",
            "{mode: ISTIO_MUTUAL, subjectAltNames: [\"spiffe://cluster.local/ns/foo/sa/not-httpbin\"]}")), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.IdentityMismatch, d.Cause);
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/httpbin", d.Summary, StringComparison.Ordinal);
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/not-httpbin", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_certificate_from_another_root_is_an_untrusted_certificate()
    {
        var mesh = TestCertificateAuthority.Create(name: "Mesh");
        var foreign = TestCertificateAuthority.Create(name: "Foreign");
        var live = new LiveCallState
        {
            Client = Held(mesh.IssueWorkload("foo", "sleep")),
            Servers = ImmutableDictionary<string, ProxyCertificates>.Empty.Add("foo/httpbin", Held(foreign.IssueWorkload("foo", "httpbin"))),
        };
        var d = Why(Mesh(), "foo", "httpbin.foo", 8000, live: live);
        Assert.Equal(CallFailureCause.UntrustedCertificate, d.Cause);
        Assert.Contains("Foreign Intermediate CA", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_of_another_trust_domain_from_the_same_ca_is_an_untrusted_certificate()
    {
        var ca = TestCertificateAuthority.Create();
        var live = new LiveCallState
        {
            Client = Held(ca.Issue(new LeafSpec { Identity = new SpiffeId("other.domain", "foo", "sleep") })),
            Servers = ImmutableDictionary<string, ProxyCertificates>.Empty.Add("foo/httpbin", Held(ca.IssueWorkload("foo", "httpbin"))),
        };
        var d = Why(Mesh(), "foo", "httpbin.foo", 8000, live: live);
        Assert.Equal(CallFailureCause.UntrustedCertificate, d.Cause);
        Assert.Contains("trust domain other.domain", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_not_yet_valid_client_certificate_is_an_expired_certificate()
    {
        var ca = TestCertificateAuthority.Create();
        var live = new LiveCallState
        {
            Client = Held(ca.IssueNotYetValid(ca.Id("foo", "sleep"))),
            Servers = ImmutableDictionary<string, ProxyCertificates>.Empty.Add("foo/httpbin", Held(ca.IssueWorkload("foo", "httpbin"))),
        };
        var d = Why(Mesh(), "foo", "httpbin.foo", 8000, live: live);
        Assert.Equal(CallFailureCause.ExpiredCertificate, d.Cause);
        Assert.Contains("client's sidecar is not valid before", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Istio_mtls_required_by_a_destination_rule_towards_a_disabled_port_is_a_tls_mode_mismatch()
    {
        var d = Why(Mesh(Rule("foo", "httpbin-mtls", "httpbin.foo.svc.cluster.local", "{mode: ISTIO_MUTUAL}") + """

            ---
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata: {name: httpbin-plain, namespace: foo}
            spec:
              selector: {matchLabels: {app: httpbin}}
              mtls: {mode: DISABLE}
            """), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.TlsModeMismatch, d.Cause);
        Assert.Contains("DISABLE", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_virtual_service_route_to_a_subset_no_destination_rule_defines_is_no_route()
    {
        var d = Why(Mesh("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: httpbin-v3, namespace: foo}
            spec:
              hosts: [httpbin.foo.svc.cluster.local]
              http:
              - route: [{destination: {host: httpbin.foo.svc.cluster.local, subset: v3}}]
            """), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.NoRoute, d.Cause);
        Assert.Equal("httpbin.foo.svc.cluster.local subset v3", d.Explanation.MissingRouteDestination);
    }

    [Fact]
    public void An_expired_server_certificate_is_an_expired_certificate()
    {
        var ca = TestCertificateAuthority.Create();
        var live = new LiveCallState
        {
            Client = Held(ca.IssueWorkload("foo", "sleep")),
            Servers = ImmutableDictionary<string, ProxyCertificates>.Empty.Add("foo/httpbin", Held(ca.IssueExpired(ca.Id("foo", "httpbin")))),
        };
        var d = Why(Mesh(), "foo", "httpbin.foo", 8000, live: live);
        Assert.Equal(CallFailureCause.ExpiredCertificate, d.Cause);
        Assert.Contains("sidecar of foo/httpbin expired", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_certificates_of_one_mesh_are_no_cause()
    {
        var ca = TestCertificateAuthority.Create();
        var live = new LiveCallState
        {
            Client = Held(ca.IssueWorkload("foo", "sleep")),
            Servers = ImmutableDictionary<string, ProxyCertificates>.Empty.Add("foo/httpbin", Held(ca.IssueWorkload("foo", "httpbin"))),
        };
        Assert.Equal(CallFailureCause.None, Why(Mesh(), "foo", "httpbin.foo", 8000, live: live).Cause);
    }

    [Fact]
    public void A_deny_policy_is_named_with_its_rule()
    {
        var d = Why(Mesh("""
            apiVersion: security.istio.io/v1beta1
            kind: AuthorizationPolicy
            metadata: {name: deny-ip, namespace: foo}
            spec:
              selector: {matchLabels: {app: httpbin}}
              action: DENY
              rules:
              - to: [{operation: {paths: ["/headers"]}}]
              - to: [{operation: {paths: ["/ip"]}}]
            """), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.AuthorizationDenied, d.Cause);
        Assert.Equal("foo/deny-ip", d.Policy);
        Assert.Equal(1, d.Rule);
        Assert.Equal(TrafficOutcome.Denied, d.Explanation.Outcome);
    }

    [Fact]
    public void An_allow_policy_that_does_not_match_is_an_implicit_deny()
    {
        var d = Why(Mesh("""
            apiVersion: security.istio.io/v1beta1
            kind: AuthorizationPolicy
            metadata: {name: only-bar, namespace: foo}
            spec:
              action: ALLOW
              rules:
              - from: [{source: {namespaces: ["bar"]}}]
            """), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.AuthorizationDenied, d.Cause);
        Assert.Null(d.Policy);
        Assert.Contains("implicit deny", d.Summary, StringComparison.Ordinal);
        Assert.Contains(d.Evidence, r => r.Resource == "AuthorizationPolicy/foo/only-bar");
    }

    [Fact]
    public void A_virtual_service_without_a_matching_route_is_no_route()
    {
        var d = Why(Mesh("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: httpbin-headers, namespace: foo}
            spec:
              hosts: [httpbin.foo.svc.cluster.local]
              http:
              - match: [{uri: {prefix: /headers}}]
                route: [{destination: {host: httpbin.foo.svc.cluster.local}}]
            """), "foo", "httpbin.foo", 8000, "/ip");
        Assert.Equal(CallFailureCause.NoRoute, d.Cause);
        Assert.Contains(d.Evidence, r => r.Resource == "VirtualService/foo/httpbin-headers");
    }

    [Fact]
    public void A_virtual_service_route_to_a_host_no_service_answers_is_no_route_with_the_sidecars_503()
    {
        var d = Why(Mesh("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: httpbin-moved, namespace: foo}
            spec:
              hosts: [httpbin.foo.svc.cluster.local]
              http:
              - route: [{destination: {host: httpbin-v2}}]
            """), "foo", "httpbin.foo", 8000);
        Assert.Equal(CallFailureCause.NoRoute, d.Cause);
        Assert.Equal("httpbin-v2.foo.svc.cluster.local", d.Explanation.MissingRouteDestination);
        Assert.Equal(503, d.Explanation.HttpCode);
        Assert.Contains("to httpbin-v2.foo.svc.cluster.local, for which the client sidecar has no cluster", d.Summary, StringComparison.Ordinal);
        Assert.Contains(d.Evidence, r => r.Resource == "VirtualService/foo/httpbin-moved" && r.Field == "spec.http[0].route");
    }

    [Fact]
    public void A_virtual_service_route_to_another_service_is_no_missing_destination()
    {
        var d = Why(Mesh("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: httpbin-to-sleep, namespace: foo}
            spec:
              hosts: [httpbin.foo.svc.cluster.local]
              http:
              - route: [{destination: {host: sleep.foo.svc.cluster.local}}]
            """), "foo", "httpbin.foo", 8000);
        Assert.Null(d.Explanation.MissingRouteDestination);
        Assert.NotEqual(CallFailureCause.NoRoute, d.Cause);
    }

    [Fact]
    public void A_host_no_service_answers_to_is_no_service()
    {
        Assert.Equal(CallFailureCause.NoService, Why(Mesh(), "foo", "nothere.foo", 8000).Cause);
        Assert.Equal(CallFailureCause.NoService, Why(Mesh(), "foo", "httpbin.foo", 9999).Cause);
    }

    [Fact]
    public void A_service_that_selects_no_pod_is_no_endpoint()
    {
        var d = Why(Mesh("""
            apiVersion: v1
            kind: Service
            metadata: {name: orphan, namespace: foo}
            spec:
              selector: {app: nobody}
              ports: [{name: http, port: 8000}]
            """), "foo", "orphan.foo", 8000);
        Assert.Equal(CallFailureCause.NoEndpoint, d.Cause);
    }
}

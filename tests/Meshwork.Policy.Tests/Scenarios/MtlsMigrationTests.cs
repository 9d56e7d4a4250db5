using Meshwork.Model.Resources;
using Meshwork.Policy.Traffic;
using static Meshwork.Policy.Tests.Build;
using static Meshwork.Policy.Tests.Scenarios.Tutorial;

namespace Meshwork.Policy.Tests.Scenarios;

/// <summary>Seed 003 (Istio's mtls-migration task), built in code; ScenarioFileTests replays it from the YAML files.</summary>
public class MtlsMigrationTests
{
    private static readonly PeerAuthentication NamespaceStrict = Pa("foo", "default", MtlsMode.Strict);
    private static readonly PeerAuthentication MeshStrict = Pa("istio-system", "default", MtlsMode.Strict);

    public static readonly string[] AllSucceed =
    [
        "sleep.foo to httpbin.foo: 200",
        "sleep.foo to httpbin.bar: 200",
        "sleep.bar to httpbin.foo: 200",
        "sleep.bar to httpbin.bar: 200",
        "sleep.legacy to httpbin.foo: 200",
        "sleep.legacy to httpbin.bar: 200",
    ];

    public static readonly string[] FooStrict =
    [
        "sleep.foo to httpbin.foo: 200",
        "sleep.foo to httpbin.bar: 200",
        "sleep.bar to httpbin.foo: 200",
        "sleep.bar to httpbin.bar: 200",
        "sleep.legacy to httpbin.foo: 000",
        "sleep.legacy to httpbin.bar: 200",
    ];

    public static readonly string[] MeshWideStrict =
    [
        "sleep.foo to httpbin.foo: 200",
        "sleep.foo to httpbin.bar: 200",
        "sleep.bar to httpbin.foo: 200",
        "sleep.bar to httpbin.bar: 200",
        "sleep.legacy to httpbin.foo: 000",
        "sleep.legacy to httpbin.bar: 000",
    ];

    [Fact]
    public void Before_any_policy_every_request_succeeds()
        => Assert.Equal(AllSucceed, MigrationMatrix(Mesh([.. MigrationSetup()])));

    [Fact]
    public void Namespace_strict_on_foo_resets_only_legacy_to_foo()
        => Assert.Equal(FooStrict, MigrationMatrix(Mesh([.. MigrationSetup(), NamespaceStrict])));

    [Fact]
    public void Mesh_wide_strict_resets_legacy_to_both()
        => Assert.Equal(MeshWideStrict, MigrationMatrix(Mesh([.. MigrationSetup(), NamespaceStrict, MeshStrict])));

    [Fact]
    public void Deleting_the_policies_restores_plaintext_access()
        => Assert.Equal(AllSucceed, MigrationMatrix(Mesh([.. MigrationSetup()])));

    [Fact]
    public void Sidecar_clients_use_auto_mtls_and_legacy_sends_plaintext()
    {
        var mesh = Mesh([.. MigrationSetup(), NamespaceStrict]);
        var fromFoo = Explain(mesh, "foo", "sleep", "httpbin.foo", 8000);
        Assert.Equal("ISTIO_MUTUAL", fromFoo.ClientTls);
        Assert.Equal("auto", fromFoo.ClientTlsSource);
        Assert.Equal("STRICT", fromFoo.ServerMode);
        Assert.Equal("PeerAuthentication foo/default (namespace-wide)", fromFoo.ServerModeSource);
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", fromFoo.ClientIdentity);

        var fromLegacy = Explain(mesh, "legacy", "sleep", "httpbin.foo", 8000);
        Assert.Equal("NONE", fromLegacy.ClientTls);
        Assert.Equal(TrafficOutcome.Reset, fromLegacy.Outcome);
        Assert.Equal(0, fromLegacy.HttpCode);
        Assert.Contains(fromLegacy.Reasons, r => r.Resource == "PeerAuthentication/foo/default" && r.Field == "spec.mtls.mode");
    }

    [Fact]
    public void Sidecar_client_forced_to_plaintext_by_a_destination_rule_gets_503_from_strict()
    {
        var mesh = Mesh([.. MigrationSetup(), NamespaceStrict, Dr("bar", "plain", "httpbin.foo.svc.cluster.local", ClientTlsMode.Disable)]);
        var e = Explain(mesh, "bar", "sleep", "httpbin.foo", 8000);
        Assert.Equal("DISABLE", e.ClientTls);
        Assert.Equal("DestinationRule bar/plain", e.ClientTlsSource);
        Assert.Equal(TrafficOutcome.Unavailable, e.Outcome);
        Assert.Equal(503, e.HttpCode);
    }

    [Fact]
    public void Explicit_istio_mutual_to_a_workload_without_sidecar_gets_503()
    {
        var resources = MigrationSetup();
        resources.Add(Deployment("legacy", "httpbin", ports: [8080]));
        resources.Add(Service("legacy", "httpbin", Port(8000, "http", 8080)));
        resources.Add(Dr("foo", "mtls", "*.local", ClientTlsMode.IstioMutual));
        var e = Explain(Mesh([.. resources]), "foo", "sleep", "httpbin.legacy", 8000);
        Assert.Equal("NONE", e.ServerMode);
        Assert.Equal("ISTIO_MUTUAL", e.ClientTls);
        Assert.Equal(503, e.HttpCode);
    }

    [Fact]
    public void Istio_mutual_to_a_disabled_port_gets_503()
    {
        var mesh = Mesh([.. MigrationSetup(), Pa("foo", "httpbin", MtlsMode.Strict, Labels("app=httpbin"), Ports((8080, MtlsMode.Disable))), Dr("bar", "mtls", "httpbin.foo.svc.cluster.local", ClientTlsMode.IstioMutual)]);
        var e = Explain(mesh, "bar", "sleep", "httpbin.foo", 8000);
        Assert.Equal("DISABLE", e.ServerMode);
        Assert.Equal(503, e.HttpCode);
        // Auto mTLS would have sent plaintext to the disabled port instead, which works.
        var auto = Explain(Mesh([.. MigrationSetup(), Pa("foo", "httpbin", MtlsMode.Strict, Labels("app=httpbin"), Ports((8080, MtlsMode.Disable)))]), "bar", "sleep", "httpbin.foo", 8000);
        Assert.Equal("DISABLE", auto.ClientTls);
        Assert.Equal(200, auto.HttpCode);
    }

    [Fact]
    public void Secure_naming_mismatch_gets_503()
    {
        var mesh = Mesh([.. MigrationSetup(), Dr("bar", "san", "httpbin.foo.svc.cluster.local", ClientTlsMode.IstioMutual, subjectAltNames: ["spiffe://cluster.local/ns/foo/sa/someone-else"])]);
        var e = Explain(mesh, "bar", "sleep", "httpbin.foo", 8000);
        Assert.Equal(TrafficOutcome.Unavailable, e.Outcome);
        Assert.Equal(503, e.HttpCode);
        Assert.Contains(e.Reasons, r => r.Sentence.Contains("Secure naming", StringComparison.Ordinal));
    }

    [Fact]
    public void Authorization_deny_is_403_for_http()
    {
        var mesh = Mesh([.. MigrationSetup(), Ap("foo", "deny-bar", AuthorizationAction.Deny, [new AuthorizationRule { From = [new AuthorizationSource { Namespaces = ["bar"] }] }])]);
        var e = Explain(mesh, "bar", "sleep", "httpbin.foo", 8000);
        Assert.Equal(TrafficOutcome.Denied, e.Outcome);
        Assert.Equal(403, e.HttpCode);
        Assert.Equal("DENY", e.Authorization.Decision);
        Assert.Equal("foo/deny-bar", e.Authorization.Policy);
        Assert.Equal(0, e.Authorization.Rule);
        Assert.Equal("200", Curl(mesh, "foo", "sleep", "httpbin.foo", 8000));
    }

    [Fact]
    public void Authorization_deny_on_a_tcp_port_resets()
    {
        var resources = MigrationSetup();
        resources.Add(Deployment("foo", "tcp-echo", ports: [9000]));
        resources.Add(Service("foo", "tcp-echo", Port(9000, "tcp")));
        resources.Add(Ap("foo", "deny-get", AuthorizationAction.Deny, [new AuthorizationRule { To = [new AuthorizationOperation { Methods = ["GET"] }] }], selector: Labels("app=tcp-echo")));
        var e = Explain(Mesh([.. resources]), "foo", "sleep", "tcp-echo", 9000);
        Assert.Equal(TrafficOutcome.Reset, e.Outcome);
        Assert.Equal(0, e.HttpCode);
        Assert.Equal("DENY", e.Authorization.Decision);
    }

    [Fact]
    public void Unknown_host_or_port_is_unavailable_with_a_reason()
    {
        var mesh = Mesh([.. MigrationSetup()]);
        var noHost = Explain(mesh, "foo", "sleep", "nothing.foo", 8000);
        Assert.Equal(TrafficOutcome.Unavailable, noHost.Outcome);
        Assert.Equal(503, noHost.HttpCode);
        Assert.Contains(noHost.Reasons, r => r.Sentence.Contains("No Service", StringComparison.Ordinal));
        var noPort = Explain(mesh, "foo", "sleep", "httpbin.foo", 9999);
        Assert.Equal(503, noPort.HttpCode);
        Assert.Contains(noPort.Reasons, r => r.Sentence.Contains("no port 9999", StringComparison.Ordinal));
    }

    [Fact]
    public void Plaintext_is_denied_by_an_allow_policy_on_principals_under_permissive()
    {
        var mesh = Mesh([.. MigrationSetup(), Ap("foo", "sleep-only", AuthorizationAction.Allow, [new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/*"] }] }])]);
        Assert.Equal("200", Curl(mesh, "bar", "sleep", "httpbin.foo", 8000));
        Assert.Equal("403", Curl(mesh, "legacy", "sleep", "httpbin.foo", 8000));
    }
}

public class ImplicitDenyExplanationTests
{
    [Fact]
    public void Implicit_deny_names_the_field_that_did_not_match()
    {
        var mesh = Build.Mesh([.. Build.MigrationSetup(), Build.Ap("foo", "httpbin", AuthorizationAction.Allow,
        [
            new AuthorizationRule { From = [new AuthorizationSource { Principals = ["cluster.local/ns/bar/sa/sleep"] }] },
            new AuthorizationRule { To = [new AuthorizationOperation { Methods = ["POST"] }] },
        ])]);
        var e = Tutorial.Explain(mesh, "foo", "sleep", "httpbin.foo", 8000);
        Assert.Equal(403, e.HttpCode);
        Assert.Contains(e.Reasons, r => r.Sentence == "Not allowed by foo/httpbin rule 0: from[0].source.principals [cluster.local/ns/bar/sa/sleep] does not match: the peer is cluster.local/ns/foo/sa/sleep.");
        Assert.Contains(e.Reasons, r => r.Sentence == "Not allowed by foo/httpbin rule 1: to[0].operation.methods [POST] does not match: the method is GET.");
    }
}

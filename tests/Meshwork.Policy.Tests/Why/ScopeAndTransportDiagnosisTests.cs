using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Policy.Why;

namespace Meshwork.Policy.Tests.Why;

/// <summary>
/// `x why` for the failures no DestinationRule or PeerAuthentication explains, on the mtls-migration mesh (seed 003):
/// a Service outside the client's Sidecar scope (BlackHoleCluster under REGISTRY_ONLY, plaintext passthrough under
/// ALLOW_ANY), endpoints that are not ready, and the transport failures the two sidecars count by response flag.
/// </summary>
public sealed class ScopeAndTransportDiagnosisTests
{
    private const string FooStrict = MigrationMesh.FooStrict;

    private static MeshState Mesh(params string[] overlays) => MigrationMesh.With(overlays);

    /// <summary>A Sidecar of bar that lets its workloads see their own namespace only.</summary>
    private static string BarScopedToItself(string? mode = null, string selector = "")
    {
        var policy = mode is null ? "" : "outboundTrafficPolicy: {mode: " + mode + "}";
        return $$"""
            apiVersion: networking.istio.io/v1beta1
            kind: Sidecar
            metadata: {name: own-namespace, namespace: bar}
            spec:
              {{selector}}egress:
              - hosts: ["./*"]
              {{policy}}
            """;
    }

    private static CallDiagnosis Why(MeshState mesh, string fromNamespace, string host = "httpbin.foo", int port = 8000, LiveCallState? live = null)
    {
        var client = Workload.FromDeployment(mesh.Deployments.Single(d => d.Metadata.Namespace == fromNamespace && d.Metadata.Name == "sleep"), mesh);
        var query = new Traffic.TrafficQuery { Client = client, ClientNamespace = fromNamespace, Host = host, Port = port, Path = "/ip" };
        return CallDiagnoser.Diagnose(mesh, query, live ?? LiveCallState.Empty);
    }

    private static LiveCallState Client(params ObservedCalls[] calls) => new() { ClientObserved = [.. calls] };

    private static LiveCallState Server(params ObservedCalls[] calls) => new()
    {
        ServerObserved = ImmutableDictionary<string, ImmutableArray<ObservedCalls>>.Empty.Add("foo/httpbin", [.. calls]),
    };

    [Fact]
    public void A_service_outside_a_registry_only_scope_is_out_of_scope_with_the_black_hole_and_the_sidecar()
    {
        var d = Why(Mesh(BarScopedToItself("REGISTRY_ONLY")), "bar");
        Assert.Equal(CallFailureCause.OutOfScope, d.Cause);
        Assert.Equal("out-of-scope", CallFailureCauses.Code(d.Cause));
        Assert.Contains("outside the scope of Sidecar bar/own-namespace", d.Summary, StringComparison.Ordinal);
        Assert.Contains("REGISTRY_ONLY", d.Summary, StringComparison.Ordinal);
        Assert.Contains("BlackHoleCluster and answers 502", d.Summary, StringComparison.Ordinal);
        Assert.Contains(d.Evidence, r => r.Resource == "Sidecar/bar/own-namespace" && r.Field == "spec.egress" && r.Sentence.Contains("[bar/*]", StringComparison.Ordinal));
    }

    [Fact]
    public void A_service_outside_an_allow_any_scope_is_plaintext_passthrough_that_a_strict_port_resets()
    {
        var d = Why(Mesh(BarScopedToItself(), FooStrict), "bar");
        Assert.Equal(CallFailureCause.OutOfScope, d.Cause);
        Assert.Contains("ALLOW_ANY (default)", d.Summary, StringComparison.Ordinal);
        Assert.Contains("plaintext (PassthroughCluster), without mTLS", d.Summary, StringComparison.Ordinal);
        Assert.True(d.Summary.Contains("port 8080 of foo/httpbin is STRICT (PeerAuthentication foo/default (namespace-wide)) and resets that plaintext", StringComparison.Ordinal), d.Summary);
    }

    [Fact]
    public void A_service_outside_an_allow_any_scope_towards_a_permissive_port_is_named_a_silent_downgrade()
    {
        var d = Why(Mesh(BarScopedToItself("ALLOW_ANY")), "bar");
        Assert.Equal(CallFailureCause.OutOfScope, d.Cause);
        Assert.Contains("ALLOW_ANY (Sidecar bar/own-namespace)", d.Summary, StringComparison.Ordinal);
        Assert.Contains("a silent downgrade to plaintext", d.Summary, StringComparison.Ordinal);
        Assert.Contains(d.Evidence, r => r.Resource == "Sidecar/bar/own-namespace" && r.Field == "spec.outboundTrafficPolicy");
    }

    [Fact]
    public void A_service_inside_the_scope_or_a_sidecar_that_selects_another_workload_is_no_scope_cause()
    {
        Assert.Equal(CallFailureCause.None, Why(Mesh(BarScopedToItself("REGISTRY_ONLY")), "bar", "httpbin.bar").Cause);
        Assert.Equal(CallFailureCause.None, Why(Mesh(BarScopedToItself("REGISTRY_ONLY", "workloadSelector: {labels: {app: httpbin}}\n  ")), "bar").Cause);
    }

    [Fact]
    public void A_service_whose_every_pod_is_unready_has_no_healthy_upstream()
    {
        var d = Why(Mesh("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: httpbin-1
              namespace: foo
              labels: {app: httpbin, security.istio.io/tlsMode: istio}
            spec:
              serviceAccountName: httpbin
              containers: [{name: httpbin, image: httpbin, ports: [{containerPort: 8080}]}]
            status:
              phase: Running
              podIP: 127.1.0.20
              containerStatuses:
              - {name: httpbin, ready: false, state: {running: {}}}
              - {name: istio-proxy, ready: true, state: {running: {}}}
            """, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: sleep-1
              namespace: foo
              labels: {app: sleep, security.istio.io/tlsMode: istio}
            spec:
              serviceAccountName: sleep
              containers: [{name: sleep, image: curl}]
            status:
              phase: Running
              podIP: 127.1.0.21
              containerStatuses: [{name: sleep, ready: true, state: {running: {}}}]
            """), "foo");
        Assert.Equal(CallFailureCause.NoHealthyUpstream, d.Cause);
        Assert.Contains("none is ready", d.Summary, StringComparison.Ordinal);
        Assert.Contains("(flag UH)", d.Summary, StringComparison.Ordinal);
        Assert.Contains(d.Evidence, r => r.Sentence == "Pod foo/httpbin-1 is not ready: container(s) not ready: httpbin (running).");
    }

    [Theory]
    [InlineData(503, "UF", CallFailureCause.UpstreamConnectFailure, "could not connect to foo/httpbin port 8080")]
    [InlineData(503, "UF,URX", CallFailureCause.UpstreamConnectFailure, "flags UF,URX")]
    [InlineData(503, "URX", CallFailureCause.UpstreamConnectFailure, "used up its retries towards foo/httpbin port 8080")]
    [InlineData(503, "UC", CallFailureCause.UpstreamReset, "saw foo/httpbin port 8080 reset the connection")]
    [InlineData(504, "UT", CallFailureCause.UpstreamTimeout, "the route's timeout passed")]
    [InlineData(503, "UH", CallFailureCause.NoHealthyUpstream, "no healthy endpoint of httpbin.foo.svc.cluster.local")]
    [InlineData(0, "DC", CallFailureCause.DownstreamReset, "The client went away before the answer came")]
    public void A_flag_the_clients_sidecar_counted_names_the_transport_cause(int code, string flags, CallFailureCause cause, string phrase)
    {
        var d = Why(Mesh(), "foo", live: Client(new ObservedCalls(code, flags, 4)));
        Assert.Equal(cause, d.Cause);
        Assert.Equal("source", d.Reporter);
        Assert.Contains(phrase, d.Summary, StringComparison.Ordinal);
        Assert.Contains(d.Evidence, r => r.Sentence.StartsWith("Live: the client's sidecar counted 4 ", StringComparison.Ordinal) && r.Sentence.Contains($"flags {flags}", StringComparison.Ordinal));
    }

    [Fact]
    public void An_application_that_refuses_its_sidecar_is_named_at_the_endpoint()
    {
        // The endpoint's sidecar answers 503 UF; the client's sidecar relays that 503 without a flag of its own.
        var live = Server(new ObservedCalls(503, "UF", 2)) with { ClientObserved = [new ObservedCalls(503, "-", 2)] };
        var d = Why(Mesh(), "foo", live: live);
        Assert.Equal(CallFailureCause.UpstreamConnectFailure, d.Cause);
        Assert.Equal("destination", d.Reporter);
        Assert.Contains("The sidecar of foo/httpbin could not connect to its application on port 8080", d.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Failures_next_to_successes_are_evidence_not_the_cause()
    {
        var d = Why(Mesh(), "foo", live: Client(new ObservedCalls(503, "UH", 3), new ObservedCalls(200, "-", 1)));
        Assert.Equal(CallFailureCause.None, d.Cause);
        Assert.Null(d.Reporter);
        Assert.Contains(d.Evidence, r => r.Sentence.Contains("counted 3 request(s) to httpbin.foo.svc.cluster.local answered 503 with flags UH", StringComparison.Ordinal));
        Assert.Contains(d.Evidence, r => r.Sentence == "Live: 1 call(s) of this kind succeeded, so the failures counted are not the rule.");
    }

    [Fact]
    public void A_policy_cause_comes_before_the_flags_it_produces()
    {
        // A meshed client that disables TLS towards STRICT makes its sidecar count 503 UC: the policy is the cause.
        var d = Why(Mesh(FooStrict, """
            apiVersion: networking.istio.io/v1beta1
            kind: DestinationRule
            metadata: {name: plain, namespace: foo}
            spec:
              host: httpbin.foo.svc.cluster.local
              trafficPolicy: {tls: {mode: DISABLE}}
            """), "foo", live: Client(new ObservedCalls(503, "UC", 5)));
        Assert.Equal(CallFailureCause.StrictAgainstPlaintext, d.Cause);
    }
}

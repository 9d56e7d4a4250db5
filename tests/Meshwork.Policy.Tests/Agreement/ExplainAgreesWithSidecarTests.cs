using System.Collections.Immutable;
using CsCheck;
using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy.Traffic;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Agreement;

/// <summary>
/// `meshwork x explain` and the server's sidecar must reach the same verdict on the same request: the explainer
/// resolves mTLS and authorization from the mesh, the sidecar executes what the snapshot generator sent it. Random
/// PeerAuthentications, AuthorizationPolicies, Service port protocols and requests; CsCheck shrinks a disagreement
/// to its smallest mesh.
/// </summary>
public sealed class ExplainAgreesWithSidecarTests
{
    private const int ServicePort = 8000;
    private const int WorkloadPort = 8080;

    [Fact]
    public void Explain_and_the_server_sidecar_agree_on_random_policies_and_requests() =>
        AgreementCase.Generator.Sample(Check, iter: 3000);

    /// <summary>
    /// Found by the property above: explain matched a policy's paths against the path as typed, query and
    /// percent-encoding included, where the sidecar matches the decoded path without the query, so explain said 403
    /// for requests the sidecar lets through.
    /// </summary>
    [Theory]
    [InlineData("/%61dmin/x", "/admin*")]
    [InlineData("/ip?x=1", "/ip")]
    public void Explain_matches_policy_paths_against_the_path_the_sidecar_matches(string requestPath, string policyPath)
    {
        var allow = Ap("foo", "allow-path", AuthorizationAction.Allow,
            [new AuthorizationRule { To = [new AuthorizationOperation { Paths = [policyPath] }] }], Labels("app=httpbin"));
        var c = new AgreementCase("http", [], [allow], "legacy", "GET", requestPath);
        Check(c);
        Assert.Equal(TrafficOutcome.Ok, TrafficExplainer.Explain(c.Mesh(), c.Query(c.Mesh())).Outcome);
    }

    /// <summary>The sidecar's verdict, from its snapshot, beside the explainer's; throws with both when they differ.</summary>
    internal static void Check(AgreementCase c)
    {
        var mesh = c.Mesh();
        var explained = TrafficExplainer.Explain(mesh, c.Query(mesh));
        var port = Assert.Single(SnapshotGenerator.Generate(c.ServerProxy(), mesh, []).Inbound, p => p.Port == WorkloadPort);

        Assert.True(explained.Endpoints.Length == 1, $"{c}: explain found no single endpoint: {explained.Outcome}");
        var endpoint = explained.Endpoints[0];
        Assert.True(endpoint.ServerMode == ModeText(port.Mode), $"{c}: explain says the port is {endpoint.ServerMode}, the sidecar runs {port.Mode}");

        var expected = SidecarOutcome(c, port, endpoint.ClientTls == "ISTIO_MUTUAL");
        Assert.True(expected == endpoint.Outcome,
            $"{c}: the sidecar would give {expected}, explain says {endpoint.Outcome} ({string.Join(" ", endpoint.Reasons.Select(r => r.Sentence))})");
    }

    /// <summary>What the server sidecar does with the connection and the request, from its inbound port alone.</summary>
    private static TrafficOutcome SidecarOutcome(AgreementCase c, InboundPort port, bool mutual)
    {
        var clientSidecar = c.ClientNamespace == "foo";
        // STRICT resets plaintext; DISABLE cannot complete a client's mTLS handshake (ISTIO-SEMANTICS §6).
        if (port.Mode == InboundTlsMode.Strict && !mutual) return clientSidecar ? TrafficOutcome.Unavailable : TrafficOutcome.Reset;
        if (port.Mode == InboundTlsMode.Disable && mutual) return TrafficOutcome.Unavailable;
        var http = port.Protocol == "http";
        var host = $"httpbin.foo:{ServicePort}";
        var decision = AuthzEvaluator.Evaluate(port.Authorization, new AuthzRequest
        {
            IsHttp = http,
            Principal = mutual ? $"cluster.local/ns/{c.ClientNamespace}/sa/sleep" : null,
            DestinationPort = port.Port,
            Host = http ? host : null,
            Method = http ? c.Method : null,
            Path = http ? AuthzPath.Of(c.Path) : null,
            Header = http ? name => name is "host" or ":authority" ? host : null : null,
        });
        if (decision.Allowed) return TrafficOutcome.Ok;
        return http ? TrafficOutcome.Denied : TrafficOutcome.Reset;
    }

    private static string ModeText(InboundTlsMode mode) => mode switch
    {
        InboundTlsMode.Strict => "STRICT",
        InboundTlsMode.Disable => "DISABLE",
        _ => "PERMISSIVE",
    };

    /// <summary>One random mesh and request: httpbin.foo (8000 → 8080) called by sleep.foo (sidecar) or sleep.legacy (none).</summary>
    internal sealed record AgreementCase(
        string? ServicePortName,
        ImmutableArray<PeerAuthentication> PeerAuthentications,
        ImmutableArray<AuthorizationPolicy> AuthorizationPolicies,
        string ClientNamespace,
        string Method,
        string Path)
    {
        private static readonly Gen<MtlsMode> Mode = Gen.OneOf(MtlsMode.Unset, MtlsMode.Disable, MtlsMode.Permissive, MtlsMode.Strict);
        private static readonly Gen<ImmutableSortedDictionary<string, string>?> Selector =
            Gen.OneOf<ImmutableSortedDictionary<string, string>?>(null, Labels("app=httpbin"), Labels("version=v1"), Labels("app=other"));

        private static readonly Gen<PeerAuthentication> PeerAuthentication =
            Gen.Select(Gen.Int[0, 2], Mode, Gen.Bool, Mode, (scope, mode, portLevel, portMode) => scope switch
            {
                0 => Pa("istio-system", "default", mode),
                1 => Pa("foo", "default", mode),
                _ => Pa("foo", "httpbin", mode, Labels("app=httpbin"), portLevel ? Ports((WorkloadPort, portMode)) : null),
            });

        private static readonly Gen<ImmutableArray<string>> Principals = Gen.OneOf<ImmutableArray<string>>(
            [], ["cluster.local/ns/foo/sa/sleep"], ["cluster.local/ns/legacy/sa/sleep"], ["*"], ["cluster.local/ns/*"], ["*/sa/sleep"]);

        private static readonly Gen<AuthorizationSource> Source = Gen.Select(Principals, Principals, Gen.OneOf<ImmutableArray<string>>([], ["foo"], ["legacy"], ["f*"]),
            (principals, notPrincipals, namespaces) => new AuthorizationSource { Principals = principals, NotPrincipals = notPrincipals, Namespaces = namespaces });

        private static readonly Gen<AuthorizationOperation> Operation = Gen.Select(
            Gen.OneOf<ImmutableArray<string>>([], ["GET"], ["POST", "DELETE"]),
            Gen.OneOf<ImmutableArray<string>>([], ["/ip"], ["/admin*"], ["*/x"], ["/"]),
            Gen.OneOf<ImmutableArray<string>>([], ["8080"], ["8000"]),
            Gen.OneOf<ImmutableArray<string>>([], ["httpbin.foo:8000"], ["httpbin.foo"], ["*.foo:8000"]),
            (methods, paths, ports, hosts) => new AuthorizationOperation { Methods = methods, Paths = paths, Ports = ports, Hosts = hosts });

        private static readonly Gen<AuthorizationRule> Rule = Gen.Select(Source.Array[0, 1], Operation.Array[0, 1],
            (from, to) => new AuthorizationRule { From = [.. from], To = [.. to] });

        private static readonly Gen<AuthorizationPolicy> AuthorizationPolicy = Gen.Select(
            Gen.OneOf("foo", "istio-system"),
            Gen.OneOf(AuthorizationAction.Allow, AuthorizationAction.Deny, AuthorizationAction.Audit),
            Selector, Rule.Array[0, 2], Gen.Int[0, 4],
            (ns, action, selector, rules, dryRun) => Ap(ns, $"p-{action}-{rules.Length}-{dryRun}".ToLowerInvariant(), action, [.. rules], selector, dryRun: dryRun == 0));

        public static readonly Gen<AgreementCase> Generator = Gen.Select(
            Gen.OneOf<string?>("http", "tcp", "grpc", "tcp-db", null),
            PeerAuthentication.Array[0, 3],
            AuthorizationPolicy.Array[0, 3],
            Gen.OneOf("foo", "legacy"),
            Gen.OneOf("GET", "POST", "DELETE"),
            Gen.OneOf("/ip", "/admin/x", "/", "/ip?x=1", "/%61dmin/x", "/x?"),
            (portName, pas, aps, client, method, path) => new AgreementCase(portName, Distinct(pas), Distinct(aps), client, method, path));

        /// <summary>One resource per name, as a store holds them.</summary>
        private static ImmutableArray<T> Distinct<T>(T[] resources) where T : Resource =>
            [.. resources.DistinctBy(r => r.Ref)];

        public MeshState Mesh() => MeshState.From([
            Namespace("foo", injection: true), Namespace("legacy"), Namespace("istio-system"),
            Deployment("foo", "httpbin", ports: [WorkloadPort], labels: Labels("app=httpbin", "version=v1")),
            Service("foo", "httpbin", Labels("app=httpbin"), Port(ServicePort, ServicePortName, WorkloadPort)),
            Deployment("foo", "sleep", ports: [80]),
            Deployment("legacy", "sleep", ports: [80]),
            .. PeerAuthentications, .. AuthorizationPolicies]);

        public TrafficQuery Query(MeshState mesh)
        {
            var sleep = mesh.Deployments.Single(d => d.Metadata.Namespace == ClientNamespace && d.Metadata.Name == "sleep");
            return new TrafficQuery
            {
                Client = Workload.FromDeployment(sleep, mesh),
                ClientNamespace = ClientNamespace,
                Host = "httpbin.foo",
                Port = ServicePort,
                Method = Method,
                Path = Path,
            };
        }

        /// <summary>The httpbin pod's sidecar as it registers with the control plane.</summary>
        public ProxyRegistration ServerProxy() => new()
        {
            Role = ProxyRole.Sidecar,
            Namespace = "foo",
            Pod = "httpbin-0",
            Workload = "httpbin",
            ServiceAccount = "httpbin",
            Labels = Labels("app=httpbin", "version=v1"),
            Ports = [WorkloadPort],
        };

        public override string ToString() =>
            $"port name {ServicePortName ?? "(none)"}; {ClientNamespace}/sleep {Method} {Path}; " +
            string.Join("; ", PeerAuthentications.Select(p => $"PA {p.Ref} {p.Spec.Mode} {Show(p.Spec.Selector)} {string.Join(",", p.Spec.PortLevelMtls.Select(l => $"{l.Key}:{l.Value}"))}")) + "; " +
            string.Join("; ", AuthorizationPolicies.Select(p => $"AP {p.Ref} {p.Spec.Action} {Show(p.Spec.Selector)} rules [{string.Join(" | ", p.Spec.Rules.Select(Show))}]"));

        private static string Show(LabelSelector? selector) => selector is null ? "all" : string.Join(",", selector.MatchLabels.Select(l => $"{l.Key}={l.Value}"));

        private static string Show(AuthorizationRule rule) =>
            $"from {string.Join(",", rule.From.Select(f => $"p=[{string.Join(",", f.Principals)}] !p=[{string.Join(",", f.NotPrincipals)}] ns=[{string.Join(",", f.Namespaces)}]"))} " +
            $"to {string.Join(",", rule.To.Select(t => $"m=[{string.Join(",", t.Methods)}] path=[{string.Join(",", t.Paths)}] port=[{string.Join(",", t.Ports)}] host=[{string.Join(",", t.Hosts)}]"))}";
    }
}

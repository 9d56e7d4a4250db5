using System.Collections.Immutable;
using System.Net;
using Meshwork.ProxyProtocol.Authorization;

namespace Meshwork.Policy.Tests.Authorization;

public class AuthzEvaluatorTests
{
    private const string Sleep = "cluster.local/ns/foo/sa/sleep";

    public sealed record Case(string Name, AuthzPolicy[] Policies, AuthzRequest Request, bool Allowed, string? Policy = null)
    {
        public override string ToString() => Name;
    }

    private static AuthzPolicy P(string name, AuthzAction action, params AuthzRule[] rules) => new() { Name = "foo/" + name, Action = action, Rules = [.. rules] };
    private static AuthzPolicy Allow(params AuthzRule[] rules) => P("allow", AuthzAction.Allow, rules);
    private static AuthzPolicy Deny(params AuthzRule[] rules) => P("deny", AuthzAction.Deny, rules);
    private static AuthzRule From(AuthzSource s) => new() { From = [s] };
    private static AuthzRule To(AuthzOperation o) => new() { To = [o] };
    private static AuthzRule When(string key, string[]? values = null, string[]? notValues = null) => new() { When = [new AuthzCondition { Key = key, Values = [.. values ?? []], NotValues = [.. notValues ?? []] }] };
    private static ImmutableArray<string> L(params string[] v) => [.. v];

    private static readonly AuthzRequest Mtls = new()
    {
        IsHttp = true, Principal = Sleep, SourceIp = IPAddress.Parse("10.1.2.3"), DestinationPort = 8080,
        Host = "httpbin.foo:8000", Method = "GET", Path = "/ip", Header = h => h == "x-token" ? "admin" : null,
    };
    private static readonly AuthzRequest Plain = Mtls with { Principal = null };
    private static readonly AuthzRequest Tcp = new() { IsHttp = false, Principal = Sleep, DestinationPort = 9000, SourceIp = IPAddress.Parse("10.1.2.3") };

    public static TheoryData<Case> Cases => new()
    {
        // Actions and evaluation order (§4.1, §4.2)
        new("no policy allows", [], Mtls, true),
        new("ALLOW without rules allows nothing", [Allow()], Mtls, false),
        new("ALLOW with an empty rule allows everything", [Allow(new AuthzRule())], Plain, true, "foo/allow"),
        new("DENY with an empty rule denies everything", [Deny(new AuthzRule())], Mtls, false, "foo/deny"),
        new("DENY without rules denies nothing", [Deny()], Mtls, true),
        new("DENY wins over a matching ALLOW", [Allow(new AuthzRule()), Deny(new AuthzRule())], Mtls, false, "foo/deny"),
        new("a matching CUSTOM policy denies: no ext-authz provider", [P("ext", AuthzAction.Custom, new AuthzRule()), Allow(new AuthzRule())], Mtls, false, "foo/ext"),
        new("a CUSTOM policy that does not match leaves the decision to the others", [P("ext", AuthzAction.Custom, To(new AuthzOperation { Paths = L("/admin") }))], Mtls, true),
        new("AUDIT never changes the decision", [P("audit", AuthzAction.Audit, new AuthzRule())], Mtls, true),
        new("AUDIT does not count as an ALLOW policy", [P("audit", AuthzAction.Audit, new AuthzRule()), Allow(From(new AuthzSource { Principals = L("other") }))], Mtls, false),
        new("dry-run DENY is not enforced", [Deny(new AuthzRule()) with { DryRun = true }], Mtls, true),
        new("dry-run ALLOW does not make a workload allow-list", [Allow() with { DryRun = true }], Mtls, true),
        new("any ALLOW policy may allow", [P("a", AuthzAction.Allow, From(new AuthzSource { Principals = L("x") })), P("b", AuthzAction.Allow, From(new AuthzSource { Principals = L(Sleep) }))], Mtls, true, "foo/b"),

        // principals (§4.3, §4.4)
        new("principals exact", [Allow(From(new AuthzSource { Principals = L(Sleep) }))], Mtls, true, "foo/allow"),
        new("principals exact mismatch", [Allow(From(new AuthzSource { Principals = L("cluster.local/ns/bar/sa/sleep") }))], Mtls, false),
        new("principals prefix", [Allow(From(new AuthzSource { Principals = L("cluster.local/ns/foo/*") }))], Mtls, true, "foo/allow"),
        new("principals suffix", [Allow(From(new AuthzSource { Principals = L("*/sa/sleep") }))], Mtls, true, "foo/allow"),
        new("principals presence matches any mTLS peer", [Allow(From(new AuthzSource { Principals = L("*") }))], Mtls, true, "foo/allow"),
        new("principals never match plaintext, even '*'", [Allow(From(new AuthzSource { Principals = L("*") }))], Plain, false),
        new("principals are written without spiffe://", [Allow(From(new AuthzSource { Principals = L("spiffe://" + Sleep) }))], Mtls, false),
        new("notPrincipals excludes a listed peer", [Allow(From(new AuthzSource { NotPrincipals = L(Sleep) }))], Mtls, false),
        new("ALLOW notPrincipals lets plaintext through", [Allow(From(new AuthzSource { NotPrincipals = L(Sleep) }))], Plain, true, "foo/allow"),
        new("DENY principals does not deny plaintext", [Deny(From(new AuthzSource { Principals = L("*") }))], Plain, true),
        new("DENY notPrincipals '*' denies plaintext", [Deny(From(new AuthzSource { NotPrincipals = L("*") }))], Plain, false, "foo/deny"),
        new("DENY notPrincipals '*' leaves mTLS alone", [Deny(From(new AuthzSource { NotPrincipals = L("*") }))], Mtls, true),

        // namespaces
        new("namespaces match the principal's namespace", [Allow(From(new AuthzSource { Namespaces = L("foo") }))], Mtls, true, "foo/allow"),
        new("namespaces mismatch", [Allow(From(new AuthzSource { Namespaces = L("bar") }))], Mtls, false),
        new("namespaces prefix", [Allow(From(new AuthzSource { Namespaces = L("fo*") }))], Mtls, true, "foo/allow"),
        new("namespaces never match plaintext", [Allow(From(new AuthzSource { Namespaces = L("foo") }))], Plain, false),
        new("notNamespaces match plaintext", [Deny(From(new AuthzSource { NotNamespaces = L("foo") }))], Plain, false, "foo/deny"),
        new("notNamespaces exclude the listed namespace", [Deny(From(new AuthzSource { NotNamespaces = L("foo") }))], Mtls, true),

        // ipBlocks / remoteIpBlocks
        new("ipBlocks CIDR contains the source", [Allow(From(new AuthzSource { IpBlocks = L("10.1.0.0/16") }))], Plain, true, "foo/allow"),
        new("ipBlocks CIDR excludes the source", [Allow(From(new AuthzSource { IpBlocks = L("10.2.0.0/16") }))], Plain, false),
        new("ipBlocks single address", [Allow(From(new AuthzSource { IpBlocks = L("10.1.2.3") }))], Plain, true, "foo/allow"),
        new("ipBlocks with host bits set are masked", [Allow(From(new AuthzSource { IpBlocks = L("10.1.2.99/24") }))], Plain, true, "foo/allow"),
        new("ipBlocks compare IPv4-mapped IPv6 as IPv4", [Allow(From(new AuthzSource { IpBlocks = L("10.1.2.0/24") }))], Plain with { SourceIp = IPAddress.Parse("::ffff:10.1.2.3") }, true, "foo/allow"),
        new("malformed ipBlocks never match", [Allow(From(new AuthzSource { IpBlocks = L("10.1.2.300") }))], Plain, false),
        new("notIpBlocks", [Deny(From(new AuthzSource { NotIpBlocks = L("10.0.0.0/8") }))], Plain, true),
        new("remoteIpBlocks use the remote address", [Allow(From(new AuthzSource { RemoteIpBlocks = L("192.168.0.0/16") }))], Plain with { RemoteIp = IPAddress.Parse("192.168.1.1") }, true, "foo/allow"),
        new("remoteIpBlocks fall back to the peer address", [Allow(From(new AuthzSource { RemoteIpBlocks = L("10.1.2.3") }))], Plain, true, "foo/allow"),
        new("notRemoteIpBlocks", [Deny(From(new AuthzSource { NotRemoteIpBlocks = L("10.1.2.3") }))], Plain, true),

        // requestPrincipals: no JWT authentication in Meshwork
        new("requestPrincipals never match", [Allow(From(new AuthzSource { RequestPrincipals = L("*") }))], Mtls, false),
        new("notRequestPrincipals always match", [Deny(From(new AuthzSource { NotRequestPrincipals = L("*") }))], Mtls, false, "foo/deny"),

        // fields inside one source are ANDed, sources are ORed
        new("fields of one source are ANDed", [Allow(From(new AuthzSource { Principals = L(Sleep), IpBlocks = L("10.9.0.0/16") }))], Mtls, false),
        new("sources are ORed", [Allow(new AuthzRule { From = [new AuthzSource { Principals = L("x") }, new AuthzSource { Namespaces = L("foo") }] })], Mtls, true, "foo/allow"),
        new("from and to are ANDed", [Allow(new AuthzRule { From = [new AuthzSource { Principals = L(Sleep) }], To = [new AuthzOperation { Methods = L("POST") }] })], Mtls, false),

        // operation fields (§4.5)
        new("hosts are case-insensitive", [Allow(To(new AuthzOperation { Hosts = L("HTTPBIN.foo") }))], Mtls with { Host = "httpbin.FOO" }, true, "foo/allow"),
        new("hosts compare the Host header as sent, port included", [Allow(To(new AuthzOperation { Hosts = L("httpbin.foo") }))], Mtls, false),
        new("hosts with the port match a Host header with the port", [Allow(To(new AuthzOperation { Hosts = L("httpbin.foo:8000") }))], Mtls, true, "foo/allow"),
        new("hosts prefix covers any port", [Allow(To(new AuthzOperation { Hosts = L("httpbin.foo*") }))], Mtls, true, "foo/allow"),
        new("hosts suffix", [Allow(To(new AuthzOperation { Hosts = L("*.foo") }))], Mtls with { Host = "httpbin.foo" }, true, "foo/allow"),
        new("hosts mismatch", [Allow(To(new AuthzOperation { Hosts = L("other.foo") }))], Mtls, false),
        new("notHosts", [Deny(To(new AuthzOperation { NotHosts = L("httpbin.foo:8000") }))], Mtls, true),
        new("ports are the workload port", [Allow(To(new AuthzOperation { Ports = L("8080") }))], Mtls, true, "foo/allow"),
        new("ports do not match the service port", [Allow(To(new AuthzOperation { Ports = L("8000") }))], Mtls, false),
        new("notPorts", [Deny(To(new AuthzOperation { NotPorts = L("8080") }))], Mtls, true),
        new("methods exact", [Allow(To(new AuthzOperation { Methods = L("GET", "HEAD") }))], Mtls, true, "foo/allow"),
        new("methods are case-sensitive", [Allow(To(new AuthzOperation { Methods = L("get") }))], Mtls, false),
        new("notMethods", [Deny(To(new AuthzOperation { NotMethods = L("GET") }))], Mtls with { Method = "POST" }, false, "foo/deny"),
        new("paths exact", [Allow(To(new AuthzOperation { Paths = L("/ip") }))], Mtls, true, "foo/allow"),
        new("paths ignore the query string", [Allow(To(new AuthzOperation { Paths = L("/ip") }))], Mtls with { Path = "/ip?x=1" }, true, "foo/allow"),
        new("paths prefix", [Allow(To(new AuthzOperation { Paths = L("/api/*") }))], Mtls with { Path = "/api/v1/users" }, true, "foo/allow"),
        new("paths suffix", [Allow(To(new AuthzOperation { Paths = L("*.html") }))], Mtls with { Path = "/index.html" }, true, "foo/allow"),
        new("paths are case-sensitive", [Allow(To(new AuthzOperation { Paths = L("/IP") }))], Mtls, false),
        new("paths template {*} is one segment", [Allow(To(new AuthzOperation { Paths = L("/users/{*}/profile") }))], Mtls with { Path = "/users/7/profile" }, true, "foo/allow"),
        new("paths template {*} does not cross segments", [Allow(To(new AuthzOperation { Paths = L("/users/{*}/profile") }))], Mtls with { Path = "/users/7/8/profile" }, false),
        new("paths template {**} spans segments", [Allow(To(new AuthzOperation { Paths = L("/files/{**}") }))], Mtls with { Path = "/files/a/b/c" }, true, "foo/allow"),
        new("notPaths", [Deny(To(new AuthzOperation { NotPaths = L("/ip") }))], Mtls, true),
        new("HTTP fields never match a TCP connection", [Allow(To(new AuthzOperation { Methods = L("GET") }))], Tcp, false),

        // when conditions
        new("when request.headers matches", [Allow(When("request.headers[X-Token]", ["admin"]))], Mtls, true, "foo/allow"),
        new("when request.headers mismatch", [Allow(When("request.headers[x-token]", ["guest"]))], Mtls, false),
        new("when request.headers absent does not match values", [Allow(When("request.headers[x-missing]", ["*"]))], Mtls, false),
        new("when request.headers notValues", [Deny(When("request.headers[x-token]", notValues: ["admin"]))], Mtls, true),
        new("when source.namespace", [Allow(When("source.namespace", ["foo"]))], Mtls, true, "foo/allow"),
        new("when source.namespace on plaintext", [Allow(When("source.namespace", ["foo"]))], Plain, false),
        new("when source.principal", [Allow(When("source.principal", [Sleep]))], Mtls, true, "foo/allow"),
        new("when source.serviceAccount is ns/sa", [Allow(When("source.serviceAccount", ["foo/sleep"]))], Mtls, true, "foo/allow"),
        new("when source.ip", [Allow(When("source.ip", ["10.1.2.0/24"]))], Mtls, true, "foo/allow"),
        new("when destination.port", [Allow(When("destination.port", ["8080"]))], Mtls, true, "foo/allow"),
        new("when destination.port notValues", [Allow(When("destination.port", notValues: ["8080"]))], Mtls, false),
        new("when request.auth claims never match without JWT", [Allow(When("request.auth.claims[iss]", ["*"]))], Mtls, false),
        new("when with an unknown key never matches", [Allow(When("source.color", ["blue"]))], Mtls, false),
        new("all when conditions must hold", [Allow(new AuthzRule { When = [new AuthzCondition { Key = "source.namespace", Values = L("foo") }, new AuthzCondition { Key = "destination.port", Values = L("9") }] })], Mtls, false),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decision_follows_istio_semantics(Case c)
    {
        var decision = AuthzEvaluator.Evaluate([.. c.Policies], c.Request);
        Assert.Equal(c.Allowed, decision.Allowed);
        Assert.Equal(c.Policy, decision.Policy);
        Assert.False(string.IsNullOrWhiteSpace(decision.Reason));
    }

    [Fact]
    public void Custom_denial_says_custom_is_unsupported()
    {
        var decision = AuthzEvaluator.Evaluate([P("ext", AuthzAction.Custom, new AuthzRule())], Mtls);
        Assert.False(decision.Allowed);
        Assert.Contains("CUSTOM", decision.Reason, StringComparison.Ordinal);
        Assert.Contains("unsupported", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_matching_rule_is_reported_by_its_position_in_the_policy()
    {
        var policy = Allow(From(new AuthzSource { Principals = L("x") }), To(new AuthzOperation { Paths = L("/ip") }));
        var decision = AuthzEvaluator.Evaluate([policy], Mtls);
        Assert.Equal(1, decision.Rule);

        var renumbered = policy with { Rules = [policy.Rules[1] with { Index = 3 }] };
        Assert.Equal(3, AuthzEvaluator.Evaluate([renumbered], Mtls).Rule);
    }

    [Fact]
    public void Dry_run_policies_are_reported_with_their_match()
    {
        var dryDeny = P("shadow", AuthzAction.Deny, To(new AuthzOperation { Paths = L("/ip") })) with { DryRun = true };
        var dryAllow = P("shadow-allow", AuthzAction.Allow, To(new AuthzOperation { Paths = L("/nope") })) with { DryRun = true };
        var decision = AuthzEvaluator.Evaluate([dryDeny, dryAllow], Mtls);
        Assert.True(decision.Allowed);
        Assert.Equal(
            [new AuthzDryRunResult("foo/shadow", AuthzAction.Deny, true, 0), new AuthzDryRunResult("foo/shadow-allow", AuthzAction.Allow, false, null)],
            decision.DryRun.ToArray());
    }

    [Fact]
    public void Implicit_deny_names_the_allow_policies()
    {
        var decision = AuthzEvaluator.Evaluate([Allow(From(new AuthzSource { Principals = L("x") }))], Mtls);
        Assert.False(decision.Allowed);
        Assert.Null(decision.Policy);
        Assert.Contains("foo/allow", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_values_are_reported_as_problems()
    {
        var policy = Allow(new AuthzRule
        {
            From = [new AuthzSource { IpBlocks = L("not-an-ip") }],
            To = [new AuthzOperation { Ports = L("http") }],
            When = [new AuthzCondition { Key = "source.color", Values = L("x") }],
        });
        var problems = AuthzEvaluator.Problems(policy);
        Assert.Equal(3, problems.Length);
        Assert.Contains(problems, p => p.Contains("rules[0].from[0].source.ipBlocks", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("rules[0].to[0].operation.ports", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("rules[0].when[0].key", StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluating_an_allowed_request_against_compiled_policies_does_not_allocate()
    {
        ImmutableArray<AuthzPolicy> policies =
        [
            Deny(From(new AuthzSource { NotNamespaces = L("foo", "bar") })),
            Allow(new AuthzRule { From = [new AuthzSource { Principals = L("cluster.local/ns/foo/*") }], To = [new AuthzOperation { Methods = L("GET"), Paths = L("/ip", "/api/*"), Hosts = L("httpbin.foo*") }] }),
        ];
        var request = Mtls;
        AuthzEvaluator.Evaluate(policies, request); // compile
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++) Assert.True(AuthzEvaluator.Evaluate(policies, request).Allowed);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"allocated {allocated} bytes for 1000 evaluations");
    }
}

using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Authorization;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Authorization;

public class AuthorizationResolverTests
{
    private static readonly Workload Tcp = Workload("foo", "tcp-echo", labels: Labels("app=tcp-echo"));
    private static readonly Workload Httpbin = Workload("foo", "httpbin");

    private static AuthorizationRule Rule(AuthorizationOperation? to = null, AuthorizationSource? from = null, AuthorizationCondition? when = null) => new()
    {
        To = to is null ? [] : [to],
        From = from is null ? [] : [from],
        When = when is null ? [] : [when],
    };

    private static bool AllowsTcp(MeshState mesh, Workload w, int port, string? principal = "cluster.local/ns/foo/sa/sleep")
        => AuthzEvaluator.Evaluate(AuthorizationResolver.ForPort(mesh, w, port, isHttp: false), new AuthzRequest { IsHttp = false, Principal = principal, DestinationPort = port }).Allowed;

    private static AuthzDecision Http(MeshState mesh, Workload w, string method = "GET", string path = "/ip", string? principal = "cluster.local/ns/foo/sa/sleep")
        => AuthzEvaluator.Evaluate(AuthorizationResolver.ForPort(mesh, w, 8080, isHttp: true), new AuthzRequest { IsHttp = true, Principal = principal, DestinationPort = 8080, Method = method, Path = path, Host = "httpbin.foo:8000" });

    [Fact]
    public void Policies_apply_in_their_own_namespace_only()
    {
        var mesh = Mesh(Ap("bar", "deny-all", AuthorizationAction.Deny, [new AuthorizationRule()]));
        Assert.Empty(AuthorizationResolver.ForPort(mesh, Httpbin, 8080, true));
        Assert.Single(AuthorizationResolver.ForPort(mesh, Workload("bar", "httpbin"), 8080, true));
    }

    [Fact]
    public void Root_namespace_policies_apply_to_every_namespace_and_their_selector_is_matched_everywhere()
    {
        var mesh = Mesh(
            Ap("istio-system", "global", AuthorizationAction.Deny, [Rule(to: new AuthorizationOperation { Paths = ["/admin"] })]),
            Ap("istio-system", "only-httpbin", AuthorizationAction.Allow, [new AuthorizationRule()], selector: Labels("app=httpbin")));
        var forHttpbin = AuthorizationResolver.ForPort(mesh, Httpbin, 8080, true);
        Assert.Equal(["istio-system/global", "istio-system/only-httpbin"], forHttpbin.Select(p => p.Name));
        Assert.Equal(["istio-system/global"], AuthorizationResolver.ForPort(mesh, Workload("bar", "sleep"), 80, true).Select(p => p.Name));
    }

    [Fact]
    public void Selector_narrows_by_labels()
    {
        var mesh = Mesh(Ap("foo", "sleep-only", AuthorizationAction.Allow, [], selector: Labels("app=sleep")));
        Assert.Empty(AuthorizationResolver.ForPort(mesh, Httpbin, 8080, true));
    }

    [Fact]
    public void Allow_nothing_policy_denies_every_request()
    {
        var mesh = Mesh(Ap("foo", "allow-nothing", AuthorizationAction.Allow, []));
        Assert.False(Http(mesh, Httpbin).Allowed);
    }

    [Fact]
    public void Tcp_allow_rule_with_http_fields_is_dropped_and_the_policy_denies()
    {
        var mesh = Mesh(Ap("foo", "tcp-policy", AuthorizationAction.Allow,
        [
            Rule(to: new AuthorizationOperation { Ports = ["9000"] }),
            Rule(to: new AuthorizationOperation { Methods = ["GET"], Ports = ["9001"] }),
        ], selector: Labels("app=tcp-echo")));
        Assert.True(AllowsTcp(mesh, Tcp, 9000));
        Assert.False(AllowsTcp(mesh, Tcp, 9001));
        var policy = Assert.Single(AuthorizationResolver.ForPort(mesh, Tcp, 9001, false));
        Assert.Equal(0, Assert.Single(policy.Rules).Index);
    }

    [Fact]
    public void Tcp_deny_rule_loses_its_http_fields_and_denies_more()
    {
        var mesh = Mesh(Ap("foo", "deny-get", AuthorizationAction.Deny, [Rule(to: new AuthorizationOperation { Methods = ["GET"] })]));
        Assert.False(AllowsTcp(mesh, Tcp, 9000));
        Assert.False(AllowsTcp(mesh, Tcp, 9001));
    }

    [Fact]
    public void Tcp_deny_rule_keeps_its_port_condition()
    {
        var mesh = Mesh(Ap("foo", "deny-get-9000", AuthorizationAction.Deny, [Rule(to: new AuthorizationOperation { Methods = ["GET"], Ports = ["9000"] })]));
        Assert.False(AllowsTcp(mesh, Tcp, 9000));
        Assert.True(AllowsTcp(mesh, Tcp, 9001));
    }

    [Fact]
    public void Tcp_deny_drops_http_only_when_conditions()
    {
        var mesh = Mesh(Ap("foo", "deny-header", AuthorizationAction.Deny,
            [Rule(when: new AuthorizationCondition { Key = "request.headers[x-token]", Values = ["bad"] }, from: new AuthorizationSource { Namespaces = ["bar"] })]));
        var rule = Assert.Single(Assert.Single(AuthorizationResolver.ForPort(mesh, Tcp, 9000, false)).Rules);
        Assert.Empty(rule.When);
        Assert.False(AllowsTcp(mesh, Tcp, 9000, "cluster.local/ns/bar/sa/sleep"));
        Assert.True(AllowsTcp(mesh, Tcp, 9000, "cluster.local/ns/foo/sa/sleep"));
    }

    [Fact]
    public void Tcp_audit_rule_is_widened_like_deny()
    {
        var mesh = Mesh(Ap("foo", "audit", AuthorizationAction.Audit, [Rule(to: new AuthorizationOperation { Paths = ["/x"], Ports = ["9000"] })]));
        var rule = Assert.Single(Assert.Single(AuthorizationResolver.ForPort(mesh, Tcp, 9000, false)).Rules);
        Assert.Empty(rule.To[0].Paths);
        Assert.Equal(["9000"], rule.To[0].Ports.ToArray());
        Assert.True(AllowsTcp(mesh, Tcp, 9000));
    }

    [Fact]
    public void Http_ports_keep_http_fields()
    {
        var mesh = Mesh(Ap("foo", "get-only", AuthorizationAction.Allow, [Rule(to: new AuthorizationOperation { Methods = ["GET"] })]));
        Assert.True(Http(mesh, Httpbin, "GET").Allowed);
        Assert.False(Http(mesh, Httpbin, "POST").Allowed);
    }

    [Fact]
    public void Custom_policies_are_kept_and_deny_when_they_match()
    {
        var mesh = Mesh(Ap("foo", "ext", AuthorizationAction.Custom, [Rule(to: new AuthorizationOperation { Paths = ["/admin"] })]));
        Assert.True(Http(mesh, Httpbin, path: "/ip").Allowed);
        var denied = Http(mesh, Httpbin, path: "/admin");
        Assert.False(denied.Allowed);
        Assert.Equal("foo/ext", denied.Policy);
        var resolved = AuthorizationResolver.Resolve(mesh, Httpbin, 8080, true);
        Assert.Contains(resolved.Reasons, r => r.Field == "spec.action" && r.Sentence.Contains("CUSTOM", StringComparison.Ordinal));
    }

    [Fact]
    public void Dry_run_annotation_makes_the_policy_shadow()
    {
        var mesh = Mesh(Ap("foo", "shadow-deny", AuthorizationAction.Deny, [new AuthorizationRule()], dryRun: true));
        var policy = Assert.Single(AuthorizationResolver.ForPort(mesh, Httpbin, 8080, true));
        Assert.True(policy.DryRun);
        var decision = Http(mesh, Httpbin);
        Assert.True(decision.Allowed);
        Assert.True(Assert.Single(decision.DryRun).Matched);
    }

    [Fact]
    public void Principals_in_the_local_trust_domain_cover_its_aliases()
    {
        var mesh = Mesh([Ap("foo", "sleep", AuthorizationAction.Allow, [Rule(from: new AuthorizationSource { Principals = ["cluster.local/ns/foo/sa/sleep"] })])],
            MeshConfig.Default with { TrustDomain = "new.td", TrustDomainAliases = ["old.td"] });
        Assert.True(Http(mesh, Httpbin, principal: "old.td/ns/foo/sa/sleep").Allowed);
        Assert.True(Http(mesh, Httpbin, principal: "new.td/ns/foo/sa/sleep").Allowed);
        Assert.False(Http(mesh, Httpbin, principal: "cluster.local/ns/foo/sa/sleep").Allowed);
    }

    [Fact]
    public void Plaintext_is_denied_by_an_allow_policy_on_principals()
    {
        var mesh = Mesh(Ap("foo", "sleep", AuthorizationAction.Allow, [Rule(from: new AuthorizationSource { Principals = ["cluster.local/ns/foo/sa/sleep"] })]));
        Assert.False(Http(mesh, Httpbin, principal: null).Allowed);
    }

    [Fact]
    public void Dropped_tcp_rule_is_explained()
    {
        var mesh = Mesh(Ap("foo", "tcp-policy", AuthorizationAction.Allow, [Rule(to: new AuthorizationOperation { Methods = ["GET"] })]));
        var resolved = AuthorizationResolver.Resolve(mesh, Tcp, 9000, isHttp: false);
        var reason = Assert.Single(resolved.Reasons, r => r.Field == "spec.rules[0]");
        Assert.Contains("dropped", reason.Sentence, StringComparison.Ordinal);
        Assert.Equal("AuthorizationPolicy/foo/tcp-policy", reason.Resource);
    }

    [Fact]
    public void Rule_fields_name_what_is_http_only()
    {
        var rule = new AuthorizationRule
        {
            From = [new AuthorizationSource { RequestPrincipals = ["*"], Principals = ["x"] }],
            To = [new AuthorizationOperation { Hosts = ["h"], Ports = ["1"] }],
            When = [new AuthorizationCondition { Key = "request.auth.claims[iss]", Values = ["x"] }, new AuthorizationCondition { Key = "source.ip", Values = ["10.0.0.1"] }],
        };
        Assert.Equal(["from[0].source.requestPrincipals", "to[0].operation.hosts", "when[0] (request.auth.claims[iss])"], AuthorizationResolver.HttpOnlyFields(rule));
    }

    private static ImmutableArray<T> A<T>(params T[] items) => [.. items];
}

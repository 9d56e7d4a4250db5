using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Authorization;

namespace Meshwork.Policy;

/// <summary>The policies that apply to one workload port, in wire form, with what resolving them changed.</summary>
public sealed record ResolvedAuthorization(ImmutableArray<AuthzPolicy> Policies, ImmutableArray<Reason> Reasons);

public static class AuthorizationResolver
{
    /// <summary>
    /// The policies that apply to <paramref name="workload"/> (its namespace and the root namespace, selector matched),
    /// in wire form for one port; for a TCP port, ALLOW rules with HTTP-only fields are dropped and DENY/AUDIT rules
    /// lose their HTTP-only conditions (ISTIO-SEMANTICS §4.6). CUSTOM policies are kept (the proxy denies: unsupported).
    /// </summary>
    public static ImmutableArray<AuthzPolicy> ForPort(MeshState mesh, Workload workload, int port, bool isHttp)
        => Resolve(mesh, workload, port, isHttp).Policies;

    /// <summary>As <see cref="ForPort"/>, with a reason for every policy that applies and every rule TCP changed.</summary>
    public static ResolvedAuthorization Resolve(MeshState mesh, Workload workload, int port, bool isHttp)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(workload);
        var root = mesh.Mesh.RootNamespace;
        var policies = ImmutableArray.CreateBuilder<AuthzPolicy>();
        var reasons = ImmutableArray.CreateBuilder<Reason>();

        // Root namespace first (mesh-wide), then the workload's namespace; input order inside each.
        foreach (var scope in workload.Namespace == root ? new[] { root } : [root, workload.Namespace])
        {
            foreach (var ap in mesh.AuthorizationPolicies)
            {
                if ((ap.Metadata.Namespace ?? "default") != scope) continue;
                if (ap.Spec.Selector is { IsEmpty: false } selector && !selector.Matches(workload.Labels)) continue;
                var name = $"{scope}/{ap.Metadata.Name}";
                var where = scope == root && workload.Namespace != root ? "mesh-wide from the root namespace" : $"in namespace {scope}";
                var selected = ap.Spec.Selector is { IsEmpty: false } ? "its selector matches" : "it has no selector";
                reasons.Add(new Reason(
                    $"AuthorizationPolicy {name} ({Text(ap.Spec.Action)}{(ap.DryRun ? ", dry-run" : "")}) applies to {workload.Ref}: {where}, {selected}.",
                    ap.Ref, ap.Spec.Selector is null ? "metadata.namespace" : "spec.selector"));
                policies.Add(ToWire(mesh.Mesh, ap, name, isHttp, port, reasons));
            }
        }
        return new ResolvedAuthorization(policies.ToImmutable(), reasons.ToImmutable());
    }

    private static AuthzPolicy ToWire(MeshConfig config, AuthorizationPolicy ap, string name, bool isHttp, int port, ImmutableArray<Reason>.Builder reasons)
    {
        var action = ap.Spec.Action switch
        {
            AuthorizationAction.Deny => AuthzAction.Deny,
            AuthorizationAction.Audit => AuthzAction.Audit,
            AuthorizationAction.Custom => AuthzAction.Custom,
            _ => AuthzAction.Allow,
        };
        if (action == AuthzAction.Custom)
        {
            reasons.Add(new Reason(
                $"AuthorizationPolicy {name} is CUSTOM{(ap.Spec.Provider is null ? "" : $" (provider {ap.Spec.Provider})")}: Meshwork has no ext-authz provider, so a request it matches is denied.",
                ap.Ref, "spec.action"));
        }
        var rules = ImmutableArray.CreateBuilder<AuthzRule>();
        for (var i = 0; i < ap.Spec.Rules.Length; i++)
        {
            var rule = ap.Spec.Rules[i];
            var httpOnly = HttpOnlyFields(rule);
            if (!isHttp && httpOnly.Count > 0)
            {
                var fields = string.Join(", ", httpOnly);
                if (action == AuthzAction.Allow)
                {
                    reasons.Add(new Reason(
                        $"AuthorizationPolicy {name} rule {i} uses HTTP-only fields ({fields}); port {port} is TCP, so the ALLOW rule is dropped and cannot allow anything here.",
                        ap.Ref, $"spec.rules[{i}]"));
                    continue;
                }
                reasons.Add(new Reason(
                    $"AuthorizationPolicy {name} rule {i} uses HTTP-only fields ({fields}); port {port} is TCP, so those conditions are removed and the {Text(ap.Spec.Action)} rule matches more widely.",
                    ap.Ref, $"spec.rules[{i}]"));
                rules.Add(ToWire(config, rule, i, stripHttp: true));
                continue;
            }
            rules.Add(ToWire(config, rule, i, stripHttp: false));
        }
        var policy = new AuthzPolicy { Name = name, Action = action, DryRun = ap.DryRun, Rules = rules.ToImmutable() };
        foreach (var problem in AuthzEvaluator.Problems(policy))
        {
            reasons.Add(new Reason($"AuthorizationPolicy {name}: spec.{problem}.", ap.Ref, "spec." + problem.Split(':')[0]));
        }
        return policy;
    }

    private static AuthzRule ToWire(MeshConfig config, AuthorizationRule rule, int index, bool stripHttp)
    {
        var from = ImmutableArray.CreateBuilder<AuthzSource>(rule.From.Length);
        foreach (var s in rule.From)
        {
            from.Add(new AuthzSource
            {
                Principals = TrustDomains.ExpandPrincipals(config, s.Principals),
                NotPrincipals = TrustDomains.ExpandPrincipals(config, s.NotPrincipals),
                RequestPrincipals = stripHttp ? [] : s.RequestPrincipals,
                NotRequestPrincipals = stripHttp ? [] : s.NotRequestPrincipals,
                Namespaces = s.Namespaces,
                NotNamespaces = s.NotNamespaces,
                IpBlocks = s.IpBlocks,
                NotIpBlocks = s.NotIpBlocks,
                RemoteIpBlocks = s.RemoteIpBlocks,
                NotRemoteIpBlocks = s.NotRemoteIpBlocks,
            });
        }
        var to = ImmutableArray.CreateBuilder<AuthzOperation>(rule.To.Length);
        foreach (var o in rule.To)
        {
            to.Add(new AuthzOperation
            {
                Hosts = stripHttp ? [] : o.Hosts,
                NotHosts = stripHttp ? [] : o.NotHosts,
                Ports = o.Ports,
                NotPorts = o.NotPorts,
                Methods = stripHttp ? [] : o.Methods,
                NotMethods = stripHttp ? [] : o.NotMethods,
                Paths = stripHttp ? [] : o.Paths,
                NotPaths = stripHttp ? [] : o.NotPaths,
            });
        }
        var when = ImmutableArray.CreateBuilder<AuthzCondition>(rule.When.Length);
        foreach (var c in rule.When)
        {
            if (stripHttp && IsHttpOnlyKey(c.Key)) continue;
            var principal = c.Key == "source.principal";
            when.Add(new AuthzCondition
            {
                Key = c.Key,
                Values = principal ? TrustDomains.ExpandPrincipals(config, c.Values) : c.Values,
                NotValues = principal ? TrustDomains.ExpandPrincipals(config, c.NotValues) : c.NotValues,
            });
        }
        return new AuthzRule { Index = index, From = from.ToImmutable(), To = to.ToImmutable(), When = when.ToImmutable() };
    }

    /// <summary>Field paths of the rule that only exist for HTTP (ISTIO-SEMANTICS §4.6).</summary>
    public static List<string> HttpOnlyFields(AuthorizationRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var fields = new List<string>();
        for (var i = 0; i < rule.From.Length; i++)
        {
            var s = rule.From[i];
            if (!s.RequestPrincipals.IsDefaultOrEmpty) fields.Add($"from[{i}].source.requestPrincipals");
            if (!s.NotRequestPrincipals.IsDefaultOrEmpty) fields.Add($"from[{i}].source.notRequestPrincipals");
        }
        for (var i = 0; i < rule.To.Length; i++)
        {
            var o = rule.To[i];
            if (!o.Hosts.IsDefaultOrEmpty) fields.Add($"to[{i}].operation.hosts");
            if (!o.NotHosts.IsDefaultOrEmpty) fields.Add($"to[{i}].operation.notHosts");
            if (!o.Methods.IsDefaultOrEmpty) fields.Add($"to[{i}].operation.methods");
            if (!o.NotMethods.IsDefaultOrEmpty) fields.Add($"to[{i}].operation.notMethods");
            if (!o.Paths.IsDefaultOrEmpty) fields.Add($"to[{i}].operation.paths");
            if (!o.NotPaths.IsDefaultOrEmpty) fields.Add($"to[{i}].operation.notPaths");
        }
        for (var i = 0; i < rule.When.Length; i++)
        {
            if (IsHttpOnlyKey(rule.When[i].Key)) fields.Add($"when[{i}] ({rule.When[i].Key})");
        }
        return fields;
    }

    private static bool IsHttpOnlyKey(string key) => key.StartsWith("request.", StringComparison.Ordinal);

    public static string Text(AuthorizationAction action) => action switch
    {
        AuthorizationAction.Deny => "DENY",
        AuthorizationAction.Audit => "AUDIT",
        AuthorizationAction.Custom => "CUSTOM",
        _ => "ALLOW",
    };
}

using System.Collections.Immutable;
using Meshwork.ProxyProtocol.Authorization;

namespace Meshwork.Policy.Traffic;

/// <summary>
/// Says which field keeps an authorization rule from matching a request, by evaluating each field on
/// its own with the proxy's evaluator (so the explanation cannot drift from enforcement). Explain-only.
/// </summary>
public static class RuleMismatch
{
    /// <summary>A sentence per rule of <paramref name="policy"/> naming its first field that does not match, or empty when a rule matches.</summary>
    public static ImmutableArray<string> Explain(AuthzPolicy policy, in AuthzRequest request)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var result = ImmutableArray.CreateBuilder<string>();
        if (policy.Rules.IsDefaultOrEmpty)
        {
            result.Add($"{policy.Name} has no rules, so it matches nothing");
            return result.ToImmutable();
        }
        for (var i = 0; i < policy.Rules.Length; i++)
        {
            var rule = policy.Rules[i];
            var index = rule.Index ?? i;
            var failing = FirstFailing(rule, request);
            if (failing is null) return [];
            result.Add($"{policy.Name} rule {index}: {failing}");
        }
        return result.ToImmutable();
    }

    private static string? FirstFailing(AuthzRule rule, AuthzRequest request)
    {
        if (!rule.From.IsDefaultOrEmpty && !Matches(new AuthzRule { From = rule.From }, request))
        {
            return rule.From.Length == 1
                ? FirstFailingSource(rule.From[0], 0, request)
                : $"none of its {rule.From.Length} sources match ({string.Join("; ", rule.From.Select((s, j) => FirstFailingSource(s, j, request)))})";
        }
        if (!rule.To.IsDefaultOrEmpty && !Matches(new AuthzRule { To = rule.To }, request))
        {
            return rule.To.Length == 1
                ? FirstFailingOperation(rule.To[0], 0, request)
                : $"none of its {rule.To.Length} operations match ({string.Join("; ", rule.To.Select((o, j) => FirstFailingOperation(o, j, request)))})";
        }
        for (var j = 0; j < rule.When.Length; j++)
        {
            var c = rule.When[j];
            if (!Matches(new AuthzRule { When = [c] }, request))
            {
                var values = c.Values.IsDefaultOrEmpty ? $"notValues [{string.Join(", ", c.NotValues)}]" : $"values [{string.Join(", ", c.Values)}]";
                return $"when[{j}] {c.Key} {values} does not hold for this request";
            }
        }
        return null;
    }

    private static string FirstFailingSource(AuthzSource s, int j, in AuthzRequest r)
    {
        var peer = r.Principal is null ? "the connection is plaintext (no peer identity)" : $"the peer is {r.Principal}";
        var ip = r.SourceIp is null ? "the source address is unknown (use --source-ip)" : $"the source address is {r.SourceIp}";
        (string Field, ImmutableArray<string> Values, AuthzSource Only, string Actual)[] fields =
        [
            ("principals", s.Principals, new AuthzSource { Principals = s.Principals }, peer),
            ("notPrincipals", s.NotPrincipals, new AuthzSource { NotPrincipals = s.NotPrincipals }, peer),
            ("namespaces", s.Namespaces, new AuthzSource { Namespaces = s.Namespaces }, peer),
            ("notNamespaces", s.NotNamespaces, new AuthzSource { NotNamespaces = s.NotNamespaces }, peer),
            ("requestPrincipals", s.RequestPrincipals, new AuthzSource { RequestPrincipals = s.RequestPrincipals }, "Meshwork does not authenticate JWTs, so there is no request principal"),
            ("notRequestPrincipals", s.NotRequestPrincipals, new AuthzSource { NotRequestPrincipals = s.NotRequestPrincipals }, "there is no request principal"),
            ("ipBlocks", s.IpBlocks, new AuthzSource { IpBlocks = s.IpBlocks }, ip),
            ("notIpBlocks", s.NotIpBlocks, new AuthzSource { NotIpBlocks = s.NotIpBlocks }, ip),
            ("remoteIpBlocks", s.RemoteIpBlocks, new AuthzSource { RemoteIpBlocks = s.RemoteIpBlocks }, ip),
            ("notRemoteIpBlocks", s.NotRemoteIpBlocks, new AuthzSource { NotRemoteIpBlocks = s.NotRemoteIpBlocks }, ip),
        ];
        foreach (var (field, values, only, actual) in fields)
        {
            if (values.IsDefaultOrEmpty) continue;
            if (!Matches(new AuthzRule { From = [only] }, r)) return $"from[{j}].source.{field} [{string.Join(", ", values)}] does not match: {actual}";
        }
        return $"from[{j}] does not match";
    }

    private static string FirstFailingOperation(AuthzOperation o, int j, in AuthzRequest r)
    {
        var host = r.Host is null ? "the connection is TCP (no Host)" : $"the Host header is \"{r.Host}\"";
        var method = r.Method is null ? "the connection is TCP (no method)" : $"the method is {r.Method}";
        var path = r.Path is null ? "the connection is TCP (no path)" : $"the path is {r.Path}";
        var port = $"the workload port is {r.DestinationPort}";
        (string Field, ImmutableArray<string> Values, AuthzOperation Only, string Actual)[] fields =
        [
            ("hosts", o.Hosts, new AuthzOperation { Hosts = o.Hosts }, host),
            ("notHosts", o.NotHosts, new AuthzOperation { NotHosts = o.NotHosts }, host),
            ("ports", o.Ports, new AuthzOperation { Ports = o.Ports }, port),
            ("notPorts", o.NotPorts, new AuthzOperation { NotPorts = o.NotPorts }, port),
            ("methods", o.Methods, new AuthzOperation { Methods = o.Methods }, method),
            ("notMethods", o.NotMethods, new AuthzOperation { NotMethods = o.NotMethods }, method),
            ("paths", o.Paths, new AuthzOperation { Paths = o.Paths }, path),
            ("notPaths", o.NotPaths, new AuthzOperation { NotPaths = o.NotPaths }, path),
        ];
        foreach (var (field, values, only, actual) in fields)
        {
            if (values.IsDefaultOrEmpty) continue;
            if (!Matches(new AuthzRule { To = [only] }, r)) return $"to[{j}].operation.{field} [{string.Join(", ", values)}] does not match: {actual}";
        }
        return $"to[{j}] does not match";
    }

    private static bool Matches(AuthzRule rule, in AuthzRequest request)
        => AuthzEvaluator.Evaluate([new AuthzPolicy { Name = "probe", Action = AuthzAction.Allow, Rules = [rule] }], request).Allowed;
}

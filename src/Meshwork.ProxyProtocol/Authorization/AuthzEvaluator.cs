using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Meshwork.ProxyProtocol.Authorization;

/// <summary>The attributes of one connection or request that authorization looks at.</summary>
public readonly record struct AuthzRequest
{
    /// <summary>False for an L4 (TCP) connection: HTTP attributes are absent.</summary>
    public bool IsHttp { get; init; }
    /// <summary>Peer SPIFFE ID without the "spiffe://" scheme ("cluster.local/ns/foo/sa/sleep"); null for plaintext.</summary>
    public string? Principal { get; init; }
    public IPAddress? SourceIp { get; init; }
    public IPAddress? RemoteIp { get; init; }
    public IPAddress? DestinationIp { get; init; }
    public int DestinationPort { get; init; }
    public string? Host { get; init; }
    public string? Method { get; init; }
    /// <summary>Path without the query string.</summary>
    public string? Path { get; init; }
    public string? Sni { get; init; }
    /// <summary>Header lookup by lower-case name; null when the request is not HTTP.</summary>
    public Func<string, string?>? Header { get; init; }
}

public sealed record AuthzDryRunResult(string Policy, AuthzAction Action, bool Matched, int? Rule);

/// <summary>The decision and what made it.</summary>
public sealed record AuthzDecision
{
    public required bool Allowed { get; init; }
    /// <summary>The deciding policy ("ns/name"), or null when no policy decided (no ALLOW policy at all: allowed).</summary>
    public string? Policy { get; init; }
    public int? Rule { get; init; }
    public required string Reason { get; init; }
    public ImmutableArray<AuthzDryRunResult> DryRun { get; init; } = [];
}

/// <summary>
/// Istio's evaluation order over resolved policies: CUSTOM (unsupported: denies), DENY, then ALLOW
/// (allowed when no ALLOW policy applies), AUDIT never changes the outcome; dry-run policies are
/// evaluated and reported but not enforced.
/// </summary>
/// <remarks>
/// This runs for every request on the proxy. Each policy is compiled once (patterns parsed, CIDRs and
/// ports turned into values, the decision objects for each rule built) and cached next to the record,
/// so that evaluation allocates nothing unless a dry-run policy asks for a report or no ALLOW policy
/// matched.
/// </remarks>
public static class AuthzEvaluator
{
    private static readonly AuthzDecision NoPolicy = new() { Allowed = true, Reason = "no authorization policy applies, so the request is allowed" };
    private static readonly AuthzDecision NoAllowPolicy = new() { Allowed = true, Reason = "no DENY policy matched and no ALLOW policy applies, so the request is allowed" };
    private static readonly ConditionalWeakTable<AuthzPolicy, CompiledAuthzPolicy> Cache = new();

    public static AuthzDecision Evaluate(ImmutableArray<AuthzPolicy> policies, in AuthzRequest request)
    {
        if (policies.IsDefaultOrEmpty) return NoPolicy;
        AuthzDecision? decision = null;
        var anyDryRun = false;
        var anyAllow = false;

        // CUSTOM first, then DENY: the first match decides.
        foreach (var action in DenyingActions)
        {
            for (var i = 0; i < policies.Length && decision is null; i++)
            {
                var policy = policies[i];
                if (policy.DryRun) { anyDryRun = true; continue; }
                if (policy.Action != action) continue;
                var c = Compile(policy);
                var rule = c.MatchingRule(request);
                if (rule >= 0) decision = c.Decisions[rule];
            }
            if (decision is not null) break;
        }

        if (decision is null)
        {
            for (var i = 0; i < policies.Length; i++)
            {
                var policy = policies[i];
                if (policy.Action != AuthzAction.Allow || policy.DryRun) continue;
                anyAllow = true;
                var c = Compile(policy);
                var rule = c.MatchingRule(request);
                if (rule >= 0) { decision = c.Decisions[rule]; break; }
            }
        }

        decision ??= anyAllow ? ImplicitDeny(policies) : NoAllowPolicy;
        if (!anyDryRun)
        {
            for (var i = 0; i < policies.Length; i++) anyDryRun |= policies[i].DryRun;
        }
        return anyDryRun ? decision with { DryRun = DryRunResults(policies, request) } : decision;
    }

    /// <summary>Compiles every policy now (the control plane's push path), so that the first request pays nothing.</summary>
    public static void Precompile(ImmutableArray<AuthzPolicy> policies)
    {
        if (policies.IsDefaultOrEmpty) return;
        foreach (var policy in policies) Compile(policy);
    }

    /// <summary>
    /// Problems that make a policy's values unusable (a malformed CIDR, a non-numeric port, an unknown
    /// condition key): such a value never matches. For diagnostics and validation.
    /// </summary>
    public static ImmutableArray<string> Problems(AuthzPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Compile(policy).Problems;
    }

    private static readonly AuthzAction[] DenyingActions = [AuthzAction.Custom, AuthzAction.Deny];

    private static CompiledAuthzPolicy Compile(AuthzPolicy policy) => Cache.GetValue(policy, static p => new CompiledAuthzPolicy(p));

    private static AuthzDecision ImplicitDeny(ImmutableArray<AuthzPolicy> policies)
    {
        var names = new StringBuilder();
        foreach (var p in policies)
        {
            if (p.Action != AuthzAction.Allow || p.DryRun) continue;
            if (names.Length > 0) names.Append(", ");
            names.Append(p.Name);
        }
        return new AuthzDecision
        {
            Allowed = false,
            Reason = $"ALLOW policies apply ({names}) but none of their rules matched, so the request is denied",
        };
    }

    private static ImmutableArray<AuthzDryRunResult> DryRunResults(ImmutableArray<AuthzPolicy> policies, in AuthzRequest request)
    {
        var builder = ImmutableArray.CreateBuilder<AuthzDryRunResult>();
        foreach (var policy in policies)
        {
            if (!policy.DryRun) continue;
            var c = Compile(policy);
            var rule = c.MatchingRule(request);
            builder.Add(new AuthzDryRunResult(policy.Name, policy.Action, rule >= 0, rule >= 0 ? c.RuleIndex[rule] : null));
        }
        return builder.ToImmutable();
    }
}

/// <summary>One policy in executable form: every string already turned into a matcher.</summary>
internal sealed class CompiledAuthzPolicy
{
    public readonly CompiledRule[] Rules;
    /// <summary>The decision to return when rule i matches (prebuilt: no allocation per request).</summary>
    public readonly AuthzDecision[] Decisions;
    public readonly int[] RuleIndex;
    public readonly ImmutableArray<string> Problems;

    public CompiledAuthzPolicy(AuthzPolicy policy)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        var rules = policy.Rules.IsDefault ? [] : policy.Rules;
        Rules = new CompiledRule[rules.Length];
        Decisions = new AuthzDecision[rules.Length];
        RuleIndex = new int[rules.Length];
        for (var i = 0; i < rules.Length; i++)
        {
            var index = rules[i].Index ?? i;
            RuleIndex[i] = index;
            Rules[i] = new CompiledRule(rules[i], index, problems);
            Decisions[i] = policy.Action switch
            {
                AuthzAction.Allow => new AuthzDecision { Allowed = true, Policy = policy.Name, Rule = index, Reason = $"ALLOW policy {policy.Name} matched (rule {index}), so the request is allowed" },
                AuthzAction.Deny => new AuthzDecision { Allowed = false, Policy = policy.Name, Rule = index, Reason = $"DENY policy {policy.Name} matched (rule {index}), so the request is denied" },
                AuthzAction.Custom => new AuthzDecision
                {
                    Allowed = false, Policy = policy.Name, Rule = index,
                    Reason = $"CUSTOM policy {policy.Name} matched (rule {index}); CUSTOM (ext-authz) is unsupported in Meshwork, so a matching CUSTOM policy denies",
                },
                _ => new AuthzDecision { Allowed = true, Policy = policy.Name, Rule = index, Reason = $"AUDIT policy {policy.Name} matched (rule {index}); AUDIT never changes the decision" },
            };
        }
        Problems = problems.ToImmutable();
    }

    /// <summary>The position (in <see cref="Rules"/>) of the first matching rule, or -1.</summary>
    public int MatchingRule(in AuthzRequest request)
    {
        var rules = Rules;
        for (var i = 0; i < rules.Length; i++)
        {
            if (rules[i].Matches(request)) return i;
        }
        return -1;
    }
}

internal sealed class CompiledRule
{
    private readonly CompiledSource[] _from;
    private readonly CompiledOperation[] _to;
    private readonly CompiledCondition[] _when;

    public CompiledRule(AuthzRule rule, int index, ImmutableArray<string>.Builder problems)
    {
        var from = rule.From.IsDefault ? [] : rule.From;
        var to = rule.To.IsDefault ? [] : rule.To;
        var when = rule.When.IsDefault ? [] : rule.When;
        _from = new CompiledSource[from.Length];
        for (var i = 0; i < from.Length; i++) _from[i] = new CompiledSource(from[i], $"rules[{index}].from[{i}]", problems);
        _to = new CompiledOperation[to.Length];
        for (var i = 0; i < to.Length; i++) _to[i] = new CompiledOperation(to[i], $"rules[{index}].to[{i}]", problems);
        _when = new CompiledCondition[when.Length];
        for (var i = 0; i < when.Length; i++) _when[i] = new CompiledCondition(when[i], $"rules[{index}].when[{i}]", problems);
    }

    /// <summary>≥1 from AND ≥1 to AND every when; an empty list means "any".</summary>
    public bool Matches(in AuthzRequest request)
    {
        if (_from.Length > 0)
        {
            var any = false;
            for (var i = 0; i < _from.Length && !any; i++) any = _from[i].Matches(request);
            if (!any) return false;
        }
        if (_to.Length > 0)
        {
            var any = false;
            for (var i = 0; i < _to.Length && !any; i++) any = _to[i].Matches(request);
            if (!any) return false;
        }
        for (var i = 0; i < _when.Length; i++)
        {
            if (!_when[i].Matches(request)) return false;
        }
        return true;
    }
}

/// <summary>
/// A source. Principals and namespaces come from the peer certificate: they never match plaintext,
/// and their "not" forms always do (Envoy's authenticated matcher is false without a TLS peer).
/// Request principals need JWT authentication, which Meshwork does not do: the request never has one.
/// </summary>
internal sealed class CompiledSource
{
    private readonly StringPatterns? _principals, _notPrincipals, _requestPrincipals, _notRequestPrincipals, _namespaces, _notNamespaces;
    private readonly CidrSet? _ipBlocks, _notIpBlocks, _remoteIpBlocks, _notRemoteIpBlocks;

    public CompiledSource(AuthzSource s, string path, ImmutableArray<string>.Builder problems)
    {
        _principals = StringPatterns.Of(s.Principals);
        _notPrincipals = StringPatterns.Of(s.NotPrincipals);
        _requestPrincipals = StringPatterns.Of(s.RequestPrincipals);
        _notRequestPrincipals = StringPatterns.Of(s.NotRequestPrincipals);
        _namespaces = StringPatterns.Of(s.Namespaces);
        _notNamespaces = StringPatterns.Of(s.NotNamespaces);
        _ipBlocks = CidrSet.Of(s.IpBlocks, path + ".source.ipBlocks", problems);
        _notIpBlocks = CidrSet.Of(s.NotIpBlocks, path + ".source.notIpBlocks", problems);
        _remoteIpBlocks = CidrSet.Of(s.RemoteIpBlocks, path + ".source.remoteIpBlocks", problems);
        _notRemoteIpBlocks = CidrSet.Of(s.NotRemoteIpBlocks, path + ".source.notRemoteIpBlocks", problems);
    }

    public bool Matches(in AuthzRequest r)
    {
        var principal = r.Principal;
        if (_principals is not null && (principal is null || !_principals.Matches(principal))) return false;
        if (_notPrincipals is not null && principal is not null && _notPrincipals.Matches(principal)) return false;
        if (_requestPrincipals is not null) return false;
        // _notRequestPrincipals: no request principal exists, so it never excludes anything.
        _ = _notRequestPrincipals;
        if (_namespaces is not null || _notNamespaces is not null)
        {
            var found = Principals.TryNamespaceOf(principal, out var ns);
            if (_namespaces is not null && (!found || !_namespaces.Matches(ns))) return false;
            if (_notNamespaces is not null && found && _notNamespaces.Matches(ns)) return false;
        }
        if (_ipBlocks is not null && !_ipBlocks.Contains(r.SourceIp)) return false;
        if (_notIpBlocks is not null && _notIpBlocks.Contains(r.SourceIp)) return false;
        var remote = r.RemoteIp ?? r.SourceIp;
        if (_remoteIpBlocks is not null && !_remoteIpBlocks.Contains(remote)) return false;
        if (_notRemoteIpBlocks is not null && _notRemoteIpBlocks.Contains(remote)) return false;
        return true;
    }
}

/// <summary>An operation. Hosts are case-insensitive and include the port when the client sent one; paths ignore the query; ports are the workload port.</summary>
internal sealed class CompiledOperation
{
    private readonly StringPatterns? _hosts, _notHosts, _methods, _notMethods, _paths, _notPaths;
    private readonly PortSet? _ports, _notPorts;

    public CompiledOperation(AuthzOperation o, string path, ImmutableArray<string>.Builder problems)
    {
        _hosts = StringPatterns.Of(o.Hosts, ignoreCase: true);
        _notHosts = StringPatterns.Of(o.NotHosts, ignoreCase: true);
        _methods = StringPatterns.Of(o.Methods);
        _notMethods = StringPatterns.Of(o.NotMethods);
        _paths = StringPatterns.Of(o.Paths, pathTemplates: true);
        _notPaths = StringPatterns.Of(o.NotPaths, pathTemplates: true);
        _ports = PortSet.Of(o.Ports, path + ".operation.ports", problems);
        _notPorts = PortSet.Of(o.NotPorts, path + ".operation.notPorts", problems);
    }

    public bool Matches(in AuthzRequest r)
    {
        if (_ports is not null && !_ports.Contains(r.DestinationPort)) return false;
        if (_notPorts is not null && _notPorts.Contains(r.DestinationPort)) return false;
        if (_hosts is not null && !HostMatches(_hosts, r.Host)) return false;
        if (_notHosts is not null && HostMatches(_notHosts, r.Host)) return false;
        if (_methods is not null && (r.Method is null || !_methods.Matches(r.Method))) return false;
        if (_notMethods is not null && r.Method is not null && _notMethods.Matches(r.Method)) return false;
        if (_paths is not null || _notPaths is not null)
        {
            var found = r.Path is not null;
            var p = Principals.WithoutQuery(r.Path);
            if (_paths is not null && (!found || !_paths.Matches(p))) return false;
            if (_notPaths is not null && found && _notPaths.Matches(p)) return false;
        }
        return true;
    }

    /// <summary>
    /// The Host header (:authority) exactly as sent, case-insensitively, as Envoy's header matcher does:
    /// "httpbin.foo:8000" is not "httpbin.foo" (list both, or use a prefix "httpbin.foo*").
    /// </summary>
    private static bool HostMatches(StringPatterns patterns, string? host) => host is not null && patterns.Matches(host);
}

internal enum ConditionKind
{
    Unknown,
    RequestHeader,
    SourceIp,
    RemoteIp,
    DestinationIp,
    DestinationPort,
    SourceNamespace,
    SourcePrincipal,
    SourceServiceAccount,
    SourceTrustDomain,
    ConnectionSni,
    /// <summary>request.auth.*: needs JWT authentication, which Meshwork does not do.</summary>
    RequestAuth,
}

/// <summary>A when-condition: Values (any) and NotValues (none), on one attribute.</summary>
internal sealed class CompiledCondition
{
    private readonly ConditionKind _kind;
    private readonly string? _header;
    private readonly StringPatterns? _values, _notValues;
    private readonly CidrSet? _cidrs, _notCidrs;
    private readonly PortSet? _ports, _notPorts;

    public CompiledCondition(AuthzCondition c, string path, ImmutableArray<string>.Builder problems)
    {
        (_kind, _header) = Parse(c.Key);
        if (_kind == ConditionKind.Unknown) problems.Add($"{path}.key: \"{c.Key}\" is not a supported condition key, so the condition never matches");
        switch (_kind)
        {
            case ConditionKind.SourceIp or ConditionKind.RemoteIp or ConditionKind.DestinationIp:
                _cidrs = CidrSet.Of(c.Values, path + ".values", problems);
                _notCidrs = CidrSet.Of(c.NotValues, path + ".notValues", problems);
                break;
            case ConditionKind.DestinationPort:
                _ports = PortSet.Of(c.Values, path + ".values", problems);
                _notPorts = PortSet.Of(c.NotValues, path + ".notValues", problems);
                break;
            default:
                _values = StringPatterns.Of(c.Values);
                _notValues = StringPatterns.Of(c.NotValues);
                break;
        }
    }

    private static (ConditionKind, string?) Parse(string key)
    {
        if (key.StartsWith("request.headers[", StringComparison.Ordinal) && key.EndsWith(']'))
        {
            var name = key["request.headers[".Length..^1];
            return name.Length == 0 ? (ConditionKind.Unknown, null) : (ConditionKind.RequestHeader, name.ToLowerInvariant());
        }
        if (key.StartsWith("request.auth.", StringComparison.Ordinal)) return (ConditionKind.RequestAuth, null);
        return key switch
        {
            "source.ip" => (ConditionKind.SourceIp, null),
            "remote.ip" => (ConditionKind.RemoteIp, null),
            "destination.ip" => (ConditionKind.DestinationIp, null),
            "destination.port" => (ConditionKind.DestinationPort, null),
            "source.namespace" => (ConditionKind.SourceNamespace, null),
            "source.principal" => (ConditionKind.SourcePrincipal, null),
            "source.serviceAccount" => (ConditionKind.SourceServiceAccount, null),
            "source.trustDomain" => (ConditionKind.SourceTrustDomain, null),
            "connection.sni" => (ConditionKind.ConnectionSni, null),
            _ => (ConditionKind.Unknown, null),
        };
    }

    public bool Matches(in AuthzRequest r)
    {
        switch (_kind)
        {
            case ConditionKind.SourceIp: return MatchIp(r.SourceIp);
            case ConditionKind.RemoteIp: return MatchIp(r.RemoteIp ?? r.SourceIp);
            case ConditionKind.DestinationIp: return MatchIp(r.DestinationIp);
            case ConditionKind.DestinationPort:
                return (_ports is null || _ports.Contains(r.DestinationPort)) && (_notPorts is null || !_notPorts.Contains(r.DestinationPort));
            case ConditionKind.RequestHeader: return MatchString(r.Header?.Invoke(_header!));
            case ConditionKind.SourcePrincipal: return MatchString(r.Principal);
            case ConditionKind.SourceNamespace: return MatchSpan(Principals.TryNamespaceOf(r.Principal, out var ns), ns);
            case ConditionKind.SourceServiceAccount: return MatchString(Principals.ServiceAccountOf(r.Principal));
            case ConditionKind.SourceTrustDomain: return MatchSpan(Principals.TryTrustDomainOf(r.Principal, out var td), td);
            case ConditionKind.ConnectionSni: return MatchString(r.Sni);
            case ConditionKind.RequestAuth: return MatchString(null);
            default: return false;
        }
    }

    /// <summary>An absent attribute matches no value and no notValue (so a notValues-only condition holds).</summary>
    private bool MatchString(string? value)
    {
        if (_values is not null && (value is null || !_values.Matches(value))) return false;
        if (_notValues is not null && value is not null && _notValues.Matches(value)) return false;
        return true;
    }

    private bool MatchSpan(bool present, ReadOnlySpan<char> value)
    {
        if (_values is not null && (!present || !_values.Matches(value))) return false;
        if (_notValues is not null && present && _notValues.Matches(value)) return false;
        return true;
    }

    private bool MatchIp(IPAddress? ip)
    {
        if (_cidrs is not null && !_cidrs.Contains(ip)) return false;
        if (_notCidrs is not null && _notCidrs.Contains(ip)) return false;
        return true;
    }
}

/// <summary>Istio's value forms: exact "abc", prefix "abc*", suffix "*abc", presence "*" (non-empty), path templates {*} and {**}.</summary>
internal sealed class StringPatterns
{
    private enum Kind : byte { Exact, Prefix, Suffix, Presence, Template }

    private readonly Kind[] _kinds;
    private readonly string[] _values;
    private readonly Regex?[] _templates;
    private readonly StringComparison _comparison;

    private StringPatterns(ImmutableArray<string> values, bool ignoreCase, bool pathTemplates)
    {
        _comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        _kinds = new Kind[values.Length];
        _values = new string[values.Length];
        _templates = new Regex?[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i] ?? "";
            if (pathTemplates && v.Contains('{', StringComparison.Ordinal) && (v.Contains("{*}", StringComparison.Ordinal) || v.Contains("{**}", StringComparison.Ordinal)))
            {
                _kinds[i] = Kind.Template;
                _templates[i] = TemplateRegex(v);
                _values[i] = v;
            }
            else if (v == "*") { _kinds[i] = Kind.Presence; _values[i] = ""; }
            else if (v.Length > 1 && v[^1] == '*') { _kinds[i] = Kind.Prefix; _values[i] = v[..^1]; }
            else if (v.Length > 1 && v[0] == '*') { _kinds[i] = Kind.Suffix; _values[i] = v[1..]; }
            else { _kinds[i] = Kind.Exact; _values[i] = v; }
        }
    }

    /// <summary>Null when the field is not set (so that "not set" and "set" stay distinct without a flag).</summary>
    public static StringPatterns? Of(ImmutableArray<string> values, bool ignoreCase = false, bool pathTemplates = false)
        => values.IsDefaultOrEmpty ? null : new StringPatterns(values, ignoreCase, pathTemplates);

    public bool Matches(string value) => Matches(value.AsSpan());

    public bool Matches(ReadOnlySpan<char> value)
    {
        for (var i = 0; i < _kinds.Length; i++)
        {
            var ok = _kinds[i] switch
            {
                Kind.Exact => value.Equals(_values[i], _comparison),
                Kind.Prefix => value.StartsWith(_values[i], _comparison),
                Kind.Suffix => value.EndsWith(_values[i], _comparison),
                Kind.Presence => value.Length > 0,
                _ => _templates[i]!.IsMatch(value),
            };
            if (ok) return true;
        }
        return false;
    }

    /// <summary>{*} is one path segment, {**} is the rest of the path (one or more characters, across segments).</summary>
    private static Regex TemplateRegex(string template)
    {
        var sb = new StringBuilder("^");
        var i = 0;
        while (i < template.Length)
        {
            if (template.AsSpan(i).StartsWith("{**}", StringComparison.Ordinal)) { sb.Append(".+"); i += 4; }
            else if (template.AsSpan(i).StartsWith("{*}", StringComparison.Ordinal)) { sb.Append("[^/]+"); i += 3; }
            else { sb.Append(Regex.Escape(template[i].ToString())); i++; }
        }
        sb.Append('$');
        return new Regex(sb.ToString(), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromMilliseconds(50));
    }
}

/// <summary>CIDRs ("10.0.0.0/8") and single addresses ("10.1.2.3"); IPv4-mapped IPv6 peers compare as IPv4.</summary>
internal sealed class CidrSet
{
    private readonly IPNetwork[] _networks;

    private CidrSet(IPNetwork[] networks) => _networks = networks;

    public static CidrSet? Of(ImmutableArray<string> values, string path, ImmutableArray<string>.Builder problems)
    {
        if (values.IsDefaultOrEmpty) return null;
        var list = new List<IPNetwork>(values.Length);
        foreach (var v in values)
        {
            if (TryParse(v, out var network)) list.Add(network);
            else problems.Add($"{path}: \"{v}\" is not an IP address or CIDR block, so it never matches");
        }
        return new CidrSet([.. list]);
    }

    public static bool TryParse(string? value, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrWhiteSpace(value)) return false;
        var v = value.Trim();
        if (v.Contains('/', StringComparison.Ordinal))
        {
            // IPNetwork.TryParse rejects host bits; Istio (Envoy CidrRange) masks them.
            var slash = v.IndexOf('/', StringComparison.Ordinal);
            if (!IPAddress.TryParse(v.AsSpan(0, slash), out var address)) return false;
            if (!int.TryParse(v.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var prefix)) return false;
            var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128;
            if (prefix < 0 || prefix > max) return false;
            network = new IPNetwork(Mask(address, prefix), prefix);
            return true;
        }
        if (!IPAddress.TryParse(v, out var single)) return false;
        network = new IPNetwork(single, single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }
        return new IPAddress(bytes);
    }

    public bool Contains(IPAddress? ip)
    {
        if (ip is null) return false;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        for (var i = 0; i < _networks.Length; i++)
        {
            if (_networks[i].Contains(ip)) return true;
        }
        return false;
    }
}

internal sealed class PortSet
{
    private readonly int[] _ports;

    private PortSet(int[] ports) => _ports = ports;

    public static PortSet? Of(ImmutableArray<string> values, string path, ImmutableArray<string>.Builder problems)
    {
        if (values.IsDefaultOrEmpty) return null;
        var list = new List<int>(values.Length);
        foreach (var v in values)
        {
            if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535) list.Add(port);
            else problems.Add($"{path}: \"{v}\" is not a port number (1-65535), so it never matches");
        }
        return new PortSet([.. list]);
    }

    public bool Contains(int port) => Array.IndexOf(_ports, port) >= 0;
}

/// <summary>Pieces of a principal "td/ns/&lt;ns&gt;/sa/&lt;sa&gt;", as the RBAC matchers derive them from the URI SAN; no allocation.</summary>
internal static class Principals
{
    public static bool TryNamespaceOf(string? principal, out ReadOnlySpan<char> ns)
    {
        ns = default;
        if (principal is null) return false;
        var at = principal.IndexOf("/ns/", StringComparison.Ordinal);
        if (at < 0) return false;
        var rest = principal.AsSpan(at + 4);
        var end = rest.IndexOf('/');
        if (end <= 0) return false;
        ns = rest[..end];
        return true;
    }

    /// <summary>"ns/sa" as source.serviceAccount compares it (rare: allocates).</summary>
    public static string? ServiceAccountOf(string? principal)
    {
        if (!TryNamespaceOf(principal, out var ns)) return null;
        var at = principal!.IndexOf("/sa/", StringComparison.Ordinal);
        return at < 0 ? null : string.Concat(ns, "/", principal.AsSpan(at + 4));
    }

    public static bool TryTrustDomainOf(string? principal, out ReadOnlySpan<char> td)
    {
        td = default;
        if (principal is null) return false;
        var slash = principal.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0) return false;
        td = principal.AsSpan(0, slash);
        return true;
    }

    public static ReadOnlySpan<char> WithoutQuery(string? path)
    {
        if (path is null) return default;
        var q = path.IndexOf('?', StringComparison.Ordinal);
        return q < 0 ? path : path.AsSpan(0, q);
    }
}

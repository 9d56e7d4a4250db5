using System.Net;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>AuthorizationPolicy: Istio's validation (pkg/config/validation) for actions, providers, rules and conditions.</summary>
internal sealed class AuthorizationPolicyValidator : ResourceValidator
{
    /// <summary>The condition keys Istio accepts exactly (ISTIO-SEMANTICS §4.5).</summary>
    public static readonly IReadOnlyList<string> ExactKeys =
    [
        "request.auth.principal", "request.auth.audiences", "request.auth.presenter", "source.ip", "remote.ip", "source.namespace",
        "source.principal", "source.serviceAccount", "source.trustDomain", "destination.ip", "destination.port", "connection.sni",
    ];

    /// <summary>Keys Istio accepts with a bracketed name: request.headers[x-token], request.auth.claims[groups][0].</summary>
    private static readonly string[] BracketedKeys = ["request.headers[", "request.auth.claims[", "experimental.envoy.filters."];

    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not AuthorizationPolicy ap) return;
        var spec = ap.Spec;
        Selector(ctx, "spec.selector", spec.Selector);
        if (spec.Selector is not null && (ctx.Has("spec.targetRef") || ctx.Has("spec.targetRefs")))
        {
            ctx.Error("spec.selector", "only one of targetRefs, targetRef or selector can be set", "keep selector to apply the policy to workloads");
        }
        if (spec.Action == AuthorizationAction.Custom)
        {
            if (spec.Rules.IsEmpty)
            {
                ctx.Error(ctx.Has("spec.rules") ? "spec.rules" : "spec.action", "a CUSTOM policy must have rules; without them it is never triggered",
                    "add an empty rule, rules: [{}], to send every request to the provider");
            }
            else if (spec.Provider is null) ctx.Error("spec.provider", "a CUSTOM policy needs a provider", "add provider: {name: <extension provider from the mesh config>}");
            else if (spec.Provider.Length == 0) ctx.Error("spec.provider.name", "provider name must not be empty");
            CustomRules(ctx, spec);
        }
        else if (spec.Provider is not null)
        {
            ctx.Error("spec.provider", $"provider can only be used with action CUSTOM, not {Name(spec.Action)}", "remove provider, or set action: CUSTOM");
        }
        if (spec.Action == AuthorizationAction.Deny && spec.Rules.IsEmpty)
        {
            ctx.Error(ctx.Has("spec.rules") ? "spec.rules" : "spec.action", "a DENY policy must have rules",
                "Istio rejects DENY without rules; to deny everything use rules: [{}], to allow nothing use an ALLOW policy with spec: {}");
        }
        for (var r = 0; r < spec.Rules.Length; r++)
        {
            var rule = spec.Rules[r];
            var path = $"spec.rules[{r}]";
            if (rule.From.IsEmpty && ctx.Has($"{path}.from")) ctx.Error($"{path}.from", "`from` must not be empty", "remove `from` to match any source");
            if (rule.To.IsEmpty && ctx.Has($"{path}.to")) ctx.Error($"{path}.to", "`to` must not be empty", "remove `to` to match any operation");
            for (var f = 0; f < rule.From.Length; f++) Source(ctx, $"{path}.from[{f}].source", rule.From[f]);
            for (var t = 0; t < rule.To.Length; t++) Operation(ctx, $"{path}.to[{t}].operation", rule.To[t]);
            for (var w = 0; w < rule.When.Length; w++) Condition(ctx, $"{path}.when[{w}]", rule.When[w]);
            if (spec.Action == AuthorizationAction.Deny) HttpOnlyDenyRule(ctx, path, rule);
        }
    }

    /// <summary>
    /// A DENY rule that only names HTTP attributes loses them on TCP ports and so denies all TCP
    /// traffic in its scope (ISTIO-SEMANTICS §4.6); Istio warns about it, and so do we.
    /// </summary>
    private static void HttpOnlyDenyRule(ReadContext ctx, string path, AuthorizationRule rule)
    {
        var tcpInFrom = rule.From.Any(s => !s.Principals.IsEmpty || !s.NotPrincipals.IsEmpty || !s.Namespaces.IsEmpty || !s.NotNamespaces.IsEmpty
            || !s.IpBlocks.IsEmpty || !s.NotIpBlocks.IsEmpty || !s.RemoteIpBlocks.IsEmpty || !s.NotRemoteIpBlocks.IsEmpty);
        var tcpInTo = rule.To.Any(o => !o.Ports.IsEmpty || !o.NotPorts.IsEmpty);
        var from = !rule.From.IsEmpty;
        var to = !rule.To.IsEmpty;
        if ((from && !to && !tcpInFrom) || (to && !tcpInTo))
        {
            ctx.Warning(path, "this DENY rule uses only HTTP attributes, so it denies all traffic to TCP ports in its scope",
                "name the HTTP port explicitly: to: [{operation: {ports: [\"8080\"], ...}}]");
        }
    }

    /// <summary>The ext-authz provider cannot see peer identities or JWT claims: Istio rejects those matches in CUSTOM rules.</summary>
    private static void CustomRules(ReadContext ctx, AuthorizationPolicySpec spec)
    {
        for (var r = 0; r < spec.Rules.Length; r++)
        {
            var rule = spec.Rules[r];
            for (var f = 0; f < rule.From.Length; f++)
            {
                var s = rule.From[f];
                var path = $"spec.rules[{r}].from[{f}].source";
                foreach (var (field, values) in new[] { ("namespaces", s.Namespaces), ("notNamespaces", s.NotNamespaces), ("principals", s.Principals),
                             ("notPrincipals", s.NotPrincipals), ("requestPrincipals", s.RequestPrincipals), ("notRequestPrincipals", s.NotRequestPrincipals) })
                {
                    if (!values.IsEmpty) ctx.Error($"{path}.{field}", $"{field} is not supported with the CUSTOM action", "match on ipBlocks, hosts, ports, methods or paths");
                }
            }
            for (var w = 0; w < rule.When.Length; w++)
            {
                var key = rule.When[w].Key;
                if (key is "source.namespace" or "source.serviceAccount" or "source.principal" || key.StartsWith("request.auth.", StringComparison.Ordinal))
                {
                    ctx.Error($"spec.rules[{r}].when[{w}].key", $"{key} is not supported with the CUSTOM action");
                }
            }
        }
    }

    private static string Name(AuthorizationAction action) => action.ToString().ToUpperInvariant();

    private static void Source(ReadContext ctx, string path, AuthorizationSource s)
    {
        if (!ctx.Has(path))
        {
            ctx.Error(path, "`from.source` must be set", "write from: [{source: {principals: [...]}}]");
            return;
        }
        if (ctx.IsEmptyObject(path))
        {
            ctx.Error(path, "`from.source` must not be empty", "name principals, namespaces or ipBlocks, or remove this entry to match any source");
            return;
        }
        NoEmptyValues(ctx, path, ("principals", s.Principals), ("notPrincipals", s.NotPrincipals), ("requestPrincipals", s.RequestPrincipals),
            ("notRequestPrincipals", s.NotRequestPrincipals), ("namespaces", s.Namespaces), ("notNamespaces", s.NotNamespaces));
        IpBlocks(ctx, $"{path}.ipBlocks", s.IpBlocks);
        IpBlocks(ctx, $"{path}.notIpBlocks", s.NotIpBlocks);
        IpBlocks(ctx, $"{path}.remoteIpBlocks", s.RemoteIpBlocks);
        IpBlocks(ctx, $"{path}.notRemoteIpBlocks", s.NotRemoteIpBlocks);
    }

    private static void Operation(ReadContext ctx, string path, AuthorizationOperation o)
    {
        if (!ctx.Has(path))
        {
            ctx.Error(path, "`to.operation` must be set", "write to: [{operation: {ports: [\"8080\"]}}]");
            return;
        }
        if (ctx.IsEmptyObject(path))
        {
            ctx.Error(path, "`to.operation` must not be empty", "name hosts, ports, methods or paths, or remove this entry to match any operation");
            return;
        }
        NoEmptyValues(ctx, path, ("hosts", o.Hosts), ("notHosts", o.NotHosts), ("methods", o.Methods), ("notMethods", o.NotMethods),
            ("paths", o.Paths), ("notPaths", o.NotPaths));
        Ports(ctx, $"{path}.ports", o.Ports);
        Ports(ctx, $"{path}.notPorts", o.NotPorts);
    }

    private static void Condition(ReadContext ctx, string path, AuthorizationCondition c)
    {
        if (c.Key.Length == 0)
        {
            ctx.Error($"{path}.key", "`key` must not be empty", "e.g. key: source.ip");
        }
        else if (!IsKnownKey(c.Key))
        {
            // Compare the attribute name without its [name] part, so request.header[x] suggests request.headers[x].
            var bracket = c.Key.IndexOf('[');
            var stem = bracket < 0 ? c.Key : c.Key[..bracket];
            var suggestion = Schema.Suggest.Closest(stem, [.. ExactKeys, "request.headers", "request.auth.claims"]);
            if (suggestion is not null && bracket >= 0) suggestion += c.Key[bracket..];
            ctx.Error($"{path}.key", $"unknown attribute \"{c.Key}\"",
                (suggestion is null ? "" : $"did you mean {suggestion}? ") + $"valid keys: {string.Join(", ", ExactKeys)}, request.headers[<name>], request.auth.claims[<claim>]");
        }
        if (c.Values.IsEmpty && c.NotValues.IsEmpty)
        {
            ctx.Error(path, $"at least one of `values` or `notValues` must be set for key {c.Key}");
        }
        if (c.Key is "source.ip" or "remote.ip" or "destination.ip")
        {
            IpBlocks(ctx, $"{path}.values", c.Values);
            IpBlocks(ctx, $"{path}.notValues", c.NotValues);
        }
        if (c.Key == "destination.port")
        {
            Ports(ctx, $"{path}.values", c.Values);
            Ports(ctx, $"{path}.notValues", c.NotValues);
        }
    }

    public static bool IsKnownKey(string key)
    {
        if (ExactKeys.Contains(key)) return true;
        foreach (var prefix in BracketedKeys)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal)) continue;
            if (prefix.EndsWith('.')) return key.Length > prefix.Length;
            // Every '[' opens a non-empty name closed by ']', and nothing follows the last ']'.
            var rest = key[(prefix.Length - 1)..];
            while (rest.Length > 0)
            {
                if (rest[0] != '[') return false;
                var close = rest.IndexOf(']');
                if (close <= 1) return false;
                rest = rest[(close + 1)..];
            }
            return true;
        }
        return false;
    }

    private static void NoEmptyValues(ReadContext ctx, string path, params (string Field, System.Collections.Immutable.ImmutableArray<string> Values)[] fields)
    {
        foreach (var (field, values) in fields)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i].Length == 0) ctx.Error($"{path}.{field}[{i}]", $"empty value is not allowed in `{field}`");
            }
        }
    }

    private static void IpBlocks(ReadContext ctx, string path, System.Collections.Immutable.ImmutableArray<string> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (!IsIpOrCidr(v)) ctx.Error($"{path}[{i}]", $"invalid IP address or CIDR block \"{v}\"", "e.g. 10.0.0.1 or 10.0.0.0/16");
        }
    }

    /// <summary>An address or address/prefix. Host bits may be set (Go's netip.ParsePrefix allows it, so Istio does).</summary>
    private static bool IsIpOrCidr(string value)
    {
        var slash = value.IndexOf('/');
        if (slash < 0) return IPAddress.TryParse(value, out _);
        if (!IPAddress.TryParse(value.AsSpan(0, slash), out var address)) return false;
        var max = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32;
        return int.TryParse(value.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bits)
            && bits <= max;
    }

    private static void Ports(ReadContext ctx, string path, System.Collections.Immutable.ImmutableArray<string> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!int.TryParse(values[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port > 65535)
            {
                ctx.Error($"{path}[{i}]", $"invalid port \"{values[i]}\"", "ports are numbers between 0 and 65535, written as strings: [\"8080\"]");
            }
        }
    }
}

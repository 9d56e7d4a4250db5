using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>Typed readers for security.istio.io (v1beta1 and v1 share one schema).</summary>
internal static class SecurityReaders
{
    public static readonly (string, MtlsMode)[] MtlsModes =
        [("UNSET", MtlsMode.Unset), ("DISABLE", MtlsMode.Disable), ("PERMISSIVE", MtlsMode.Permissive), ("STRICT", MtlsMode.Strict)];

    public static readonly (string, AuthorizationAction)[] Actions =
        [("ALLOW", AuthorizationAction.Allow), ("DENY", AuthorizationAction.Deny), ("AUDIT", AuthorizationAction.Audit), ("CUSTOM", AuthorizationAction.Custom)];

    /// <summary>Istio's WorkloadSelector: matchLabels only.</summary>
    public static LabelSelector? WorkloadSelector(MapReader m)
    {
        if (!m.Present) return null;
        var labels = m.StringMap("matchLabels");
        m.Finish();
        return new LabelSelector(labels);
    }

    public static PeerAuthentication PeerAuthentication(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var selector = WorkloadSelector(m.Map("selector"));
        var mtls = m.Map("mtls");
        var mode = mtls.Enum("mode", MtlsModes) ?? MtlsMode.Unset;
        mtls.Finish();
        var ports = PortLevelMtls(m);
        m.Finish();
        top.Accept("status");
        return new PeerAuthentication
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new PeerAuthenticationSpec { Selector = selector, Mode = mode, PortLevelMtls = ports },
        };
    }

    /// <summary>
    /// portLevelMtls is a map keyed by port number. YAML keys are strings ("8080" or 8080 both arrive
    /// as text), exactly as protobuf JSON maps keep them.
    /// </summary>
    private static ImmutableSortedDictionary<int, MtlsMode> PortLevelMtls(MapReader spec)
    {
        var ctx = spec.Context;
        var raw = spec.Raw("portLevelMtls");
        if (raw is null) return ImmutableSortedDictionary<int, MtlsMode>.Empty;
        var path = spec.Child("portLevelMtls");
        if (raw is not MappingNode map)
        {
            ctx.Error(raw, path, $"expected an object keyed by port number, got {ReadContext.Describe(raw)}", "write it as portLevelMtls: {8080: {mode: DISABLE}}");
            return ImmutableSortedDictionary<int, MtlsMode>.Empty;
        }
        var builder = ImmutableSortedDictionary.CreateBuilder<int, MtlsMode>();
        foreach (var (key, value) in map.Entries)
        {
            var entryPath = $"{path}[{key.Value}]";
            ctx.Record(entryPath, key);
            if (!int.TryParse(key.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                ctx.Error(key, entryPath, $"port key \"{key.Value}\" is not a port number", "portLevelMtls is keyed by the workload's container port, e.g. 8080");
                continue;
            }
            var entry = ctx.MapAt(value, entryPath);
            var mode = entry.Enum("mode", MtlsModes) ?? MtlsMode.Unset;
            entry.Finish();
            builder[port] = mode;
        }
        return builder.ToImmutable();
    }

    public static AuthorizationPolicy AuthorizationPolicy(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var selector = WorkloadSelector(m.Map("selector"));
        var action = m.Enum("action", Actions) ?? AuthorizationAction.Allow;
        var providerMap = m.Map("provider");
        var provider = providerMap.String("name");
        if (providerMap.Present && provider is null) provider = "";
        providerMap.Finish();
        var rules = m.Objects("rules", Rule);
        m.UnsupportedBecause("targetRef", "Meshwork applies policies to workloads by selector only");
        m.UnsupportedBecause("targetRefs", "Meshwork applies policies to workloads by selector only");
        m.Finish();
        top.Accept("status");
        return new AuthorizationPolicy
        {
            ApiVersion = apiVersion,
            Metadata = meta,
            Spec = new AuthorizationPolicySpec { Selector = selector, Action = action, Provider = provider, Rules = rules },
        };
    }

    private static AuthorizationRule Rule(MapReader m)
    {
        var rule = new AuthorizationRule
        {
            From = m.Objects("from", f =>
            {
                var source = Source(f.Map("source"));
                f.Finish();
                return source;
            }),
            To = m.Objects("to", t =>
            {
                var operation = Operation(t.Map("operation"));
                t.Finish();
                return operation;
            }),
            When = m.Objects("when", Condition),
        };
        m.Finish();
        return rule;
    }

    /// <summary>
    /// Newer Source fields that Meshwork cannot evaluate are errors, not warnings: ignoring a match
    /// condition would make an ALLOW rule allow more than it says.
    /// </summary>
    private static readonly string[] UnevaluatedSourceFields = ["serviceAccounts", "notServiceAccounts", "trustDomains", "notTrustDomains"];

    private static AuthorizationSource Source(MapReader m)
    {
        var source = new AuthorizationSource
        {
            Principals = m.Strings("principals"),
            NotPrincipals = m.Strings("notPrincipals"),
            RequestPrincipals = m.Strings("requestPrincipals"),
            NotRequestPrincipals = m.Strings("notRequestPrincipals"),
            Namespaces = m.Strings("namespaces"),
            NotNamespaces = m.Strings("notNamespaces"),
            IpBlocks = m.Strings("ipBlocks"),
            NotIpBlocks = m.Strings("notIpBlocks"),
            RemoteIpBlocks = m.Strings("remoteIpBlocks"),
            NotRemoteIpBlocks = m.Strings("notRemoteIpBlocks"),
        };
        foreach (var field in UnevaluatedSourceFields)
        {
            if (m.Raw(field) is { } node)
            {
                m.Context.Error(node, m.Child(field), $"field \"{field}\" is not supported by Meshwork; ignoring it would widen the rule",
                    field.Contains("rust", StringComparison.Ordinal) ? "match on principals instead (trust-domain/ns/<ns>/sa/<sa>)" : "use principals: [\"cluster.local/ns/<ns>/sa/<sa>\"] instead");
            }
        }
        m.Finish();
        return source;
    }

    private static AuthorizationOperation Operation(MapReader m)
    {
        var operation = new AuthorizationOperation
        {
            Hosts = m.Strings("hosts"),
            NotHosts = m.Strings("notHosts"),
            Ports = m.Strings("ports"),
            NotPorts = m.Strings("notPorts"),
            Methods = m.Strings("methods"),
            NotMethods = m.Strings("notMethods"),
            Paths = m.Strings("paths"),
            NotPaths = m.Strings("notPaths"),
        };
        m.Finish();
        return operation;
    }

    private static AuthorizationCondition Condition(MapReader m)
    {
        var condition = new AuthorizationCondition
        {
            Key = m.String("key") ?? "",
            Values = m.Strings("values"),
            NotValues = m.Strings("notValues"),
        };
        m.Finish();
        return condition;
    }
}

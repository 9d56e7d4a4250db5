using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>The DestinationRule that governs a client's traffic to a service, with the rules merged into it.</summary>
/// <param name="Rule">The deciding rule: its top-level trafficPolicy wins.</param>
/// <param name="Subsets">Subsets of every rule for the same host in that namespace, concatenated (first name wins).</param>
public sealed record ResolvedDestinationRule(DestinationRule Rule, ImmutableArray<Subset> Subsets, ImmutableArray<Reason> Reasons)
{
    public string Name => $"{Rule.Metadata.Namespace}/{Rule.Metadata.Name}";
}

/// <summary>The TLS settings a DestinationRule resolves for one port (and subset), or null when it sets none.</summary>
/// <param name="Field">Where the settings came from, e.g. spec.trafficPolicy.portLevelSettings[0].tls.</param>
public sealed record ResolvedClientTls(ResolvedDestinationRule Rule, ClientTlsSettings? Tls, string Field);

/// <summary>
/// Istio's destinationRule() lookup (ISTIO-SEMANTICS §2.4): the client's namespace, then the service's
/// namespace, then the root namespace; only rules exported to the client; the most specific host wins.
/// </summary>
public static class DestinationRuleLookup
{
    public static ResolvedDestinationRule? Find(MeshState mesh, string clientNamespace, ServiceTarget target)
        => Lookup(mesh, clientNamespace, target).Rule;

    /// <summary>The rule (or null), and notes about rules that matched the host but were passed over.</summary>
    public static (ResolvedDestinationRule? Rule, ImmutableArray<Reason> Notes) Lookup(MeshState mesh, string clientNamespace, ServiceTarget target)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(target);
        var hostname = target.Hostname;
        var order = new List<string> { clientNamespace };
        if (!order.Contains(target.Namespace)) order.Add(target.Namespace);
        if (!order.Contains(mesh.Mesh.RootNamespace)) order.Add(mesh.Mesh.RootNamespace);
        var reasons = ImmutableArray.CreateBuilder<Reason>();

        foreach (var ns in order)
        {
            var best = new List<DestinationRule>();
            var bestScore = -1;
            foreach (var dr in mesh.DestinationRules)
            {
                if ((dr.Metadata.Namespace ?? "default") != ns) continue;
                var score = HostMatchScore(dr, hostname);
                if (score < 0) continue;
                if (dr.Spec.WorkloadSelector is { IsEmpty: false })
                {
                    reasons.Add(new Reason($"DestinationRule {ns}/{dr.Metadata.Name} has a workloadSelector; it is not considered for this client.", dr.Ref, "spec.workloadSelector"));
                    continue;
                }
                if (!IsExportedTo(dr, clientNamespace))
                {
                    reasons.Add(new Reason($"DestinationRule {ns}/{dr.Metadata.Name} matches {hostname} but is not exported to namespace {clientNamespace}.", dr.Ref, "spec.exportTo"));
                    continue;
                }
                if (score > bestScore) { best.Clear(); bestScore = score; }
                if (score == bestScore) best.Add(dr);
            }
            if (best.Count == 0) continue;

            var ordered = Age.OldestFirst(best);
            var chosen = ordered[0];
            var subsets = ImmutableArray.CreateBuilder<Subset>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var dr in ordered)
            {
                foreach (var subset in dr.Spec.Subsets)
                {
                    if (names.Add(subset.Name)) subsets.Add(subset);
                }
                if (!ReferenceEquals(dr, chosen))
                {
                    reasons.Add(new Reason($"DestinationRule {ns}/{dr.Metadata.Name} is merged into {ns}/{chosen.Metadata.Name}: its subsets are added, its trafficPolicy is ignored (the first rule's wins).", dr.Ref, "spec.trafficPolicy"));
                }
            }
            var where = ns == clientNamespace ? "the client's namespace" : ns == target.Namespace ? "the service's namespace" : "the root namespace";
            reasons.Insert(0, new Reason($"DestinationRule {ns}/{chosen.Metadata.Name} (host {chosen.Spec.Host}, in {where}) applies to {hostname}.", chosen.Ref, "spec.host"));
            var all = reasons.ToImmutable();
            return (new ResolvedDestinationRule(chosen, subsets.ToImmutable(), all), all);
        }
        return (null, reasons.ToImmutable());
    }

    /// <summary>
    /// The TLS block for a service port (and optional subset): a subset's own trafficPolicy overrides the
    /// top level; a matching portLevelSettings entry replaces the policy it is in, fields are not inherited.
    /// </summary>
    public static ResolvedClientTls ResolveTls(ResolvedDestinationRule rule, int servicePort, string? subset)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var (tls, field) = FromPolicy(rule.Rule.Spec.TrafficPolicy, servicePort, "spec.trafficPolicy");
        if (subset is not null)
        {
            for (var i = 0; i < rule.Subsets.Length; i++)
            {
                var s = rule.Subsets[i];
                if (s.Name != subset || s.TrafficPolicy is null) continue;
                var subsetField = $"spec.subsets[{s.Name}].trafficPolicy";
                var portIndex = IndexOfPort(s.TrafficPolicy, servicePort);
                if (portIndex >= 0)
                {
                    return new ResolvedClientTls(rule, s.TrafficPolicy.PortLevelSettings[portIndex].Tls, $"{subsetField}.portLevelSettings[{portIndex}].tls");
                }
                if (s.TrafficPolicy.Tls is not null) return new ResolvedClientTls(rule, s.TrafficPolicy.Tls, $"{subsetField}.tls");
            }
        }
        return new ResolvedClientTls(rule, tls, field);
    }

    private static (ClientTlsSettings?, string) FromPolicy(TrafficPolicy? policy, int servicePort, string field)
    {
        if (policy is null) return (null, field);
        var index = IndexOfPort(policy, servicePort);
        if (index >= 0) return (policy.PortLevelSettings[index].Tls, $"{field}.portLevelSettings[{index}].tls");
        return (policy.Tls, $"{field}.tls");
    }

    private static int IndexOfPort(TrafficPolicy policy, int port)
    {
        for (var i = 0; i < policy.PortLevelSettings.Length; i++)
        {
            if (policy.PortLevelSettings[i].Port == port) return i;
        }
        return -1;
    }

    /// <summary>Empty exportTo, "*", the client's namespace, or "." when the client is in the rule's own namespace.</summary>
    public static bool IsExportedTo(DestinationRule rule, string clientNamespace)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (rule.Spec.ExportTo.IsDefaultOrEmpty) return true;
        foreach (var to in rule.Spec.ExportTo)
        {
            if (to == "*" || to == clientNamespace) return true;
            if (to == "." && (rule.Metadata.Namespace ?? "default") == clientNamespace) return true;
        }
        return false;
    }

    /// <summary>
    /// -1 when the rule's host does not cover <paramref name="fqdn"/>; otherwise a specificity score: an exact
    /// host beats any wildcard, and a longer wildcard beats a shorter one.
    /// </summary>
    public static int HostMatchScore(DestinationRule rule, string fqdn)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var host = QualifyHost(rule.Spec.Host, rule.Metadata.Namespace ?? "default");
        if (host == "*") return 0;
        if (host.StartsWith("*.", StringComparison.Ordinal))
        {
            return fqdn.EndsWith(host[1..], StringComparison.OrdinalIgnoreCase) ? host.Length : -1;
        }
        return string.Equals(host, fqdn, StringComparison.OrdinalIgnoreCase) ? int.MaxValue : -1;
    }

    /// <summary>A short host (no dot) is relative to the rule's namespace: "httpbin" in foo means httpbin.foo.svc.cluster.local.</summary>
    public static string QualifyHost(string host, string ruleNamespace)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (host == "*" || host.Contains('.', StringComparison.Ordinal)) return host;
        return $"{host}.{ruleNamespace}.{ServiceTarget.ClusterDomain}";
    }
}

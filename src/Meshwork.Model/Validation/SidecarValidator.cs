using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Validation;

/// <summary>Sidecar: egress hosts as <c>namespace/dnsName</c>, and the workload selector (Istio's validateSidecar rules).</summary>
internal sealed class SidecarValidator : ResourceValidator
{
    public override void Validate(Resource resource, ReadContext ctx)
    {
        if (resource is not Sidecar sidecar) return;
        var spec = sidecar.Spec;
        if (spec.Egress.IsEmpty && spec.OutboundTrafficPolicy is null)
        {
            ctx.Error("spec", "a Sidecar needs egress hosts or an outboundTrafficPolicy", "e.g. egress: [{hosts: [\"./*\", \"istio-system/*\"]}]");
        }
        for (var i = 0; i < spec.Egress.Length; i++)
        {
            var hosts = spec.Egress[i].Hosts;
            if (hosts.IsEmpty) ctx.Error($"spec.egress[{i}].hosts", "an egress listener needs at least one host", "e.g. hosts: [\"./*\"]");
            for (var h = 0; h < hosts.Length; h++)
            {
                if (EgressHost(hosts[h]) is { } problem)
                {
                    ctx.Error($"spec.egress[{i}].hosts[{h}]", $"invalid host \"{hosts[h]}\": {problem}",
                        "write namespace/dnsName: \"./*\" (this namespace), \"istio-system/*\", \"*/httpbin.foo.svc.cluster.local\" or \"~/*\" (none)");
                }
            }
        }
        if (spec.WorkloadSelector is { } selector)
        {
            foreach (var (key, value) in selector.MatchLabels)
            {
                if (key.Contains('*') || value.Contains('*'))
                {
                    ctx.Error($"spec.workloadSelector.labels[{key}]", $"wildcard is not supported in selector: \"{key}={value}\"", "selectors match label values exactly");
                }
            }
            Labels(ctx, "spec.workloadSelector.labels", selector.MatchLabels.RemoveRange(selector.MatchLabels.Keys.Where(k => k.Contains('*') || selector.MatchLabels[k].Contains('*'))));
        }
    }

    /// <summary>Why <paramref name="host"/> is not <c>namespace/dnsName</c> as Istio reads egress hosts; null when it is.</summary>
    internal static string? EgressHost(string host)
    {
        var slash = host.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) return "must be namespace/dnsName";
        var (ns, dns) = (host[..slash], host[(slash + 1)..]);
        if (ns.Length == 0) return "the namespace before / is empty";
        if (dns.Length == 0) return "the dnsName after / is empty";
        if (ns == "~" && dns != "*") return "~ (no namespace) only takes \"*\": \"~/*\"";
        if (ns is not ("." or "*" or "~") && Names.Dns1123Label(ns) is { } nsProblem) return $"namespace \"{ns}\": {nsProblem}";
        if (dns != "*" && Names.WildcardDomain(dns) is { } dnsProblem) return $"dnsName \"{dns}\": {dnsProblem}";
        return null;
    }
}

using System.Collections.Immutable;
using Meshwork.Identity;
using Meshwork.Model.Mesh;

namespace Meshwork.Policy;

public static class SecureNaming
{
    /// <summary>spiffe:// IDs a client accepts from the service's endpoints (service accounts, expanded with trust-domain aliases), or the DR's subjectAltNames.</summary>
    public static ImmutableArray<string> AcceptedIdentities(MeshState mesh, string clientNamespace, ServiceTarget target)
        => AcceptedIdentities(mesh, clientNamespace, target, subset: null).Identities;

    /// <summary>The accepted identities and where they came from ("endpoints" or "DestinationRule ns/name").</summary>
    public static (ImmutableArray<string> Identities, string Source) AcceptedIdentities(MeshState mesh, string clientNamespace, ServiceTarget target, string? subset)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(target);
        var rule = DestinationRuleLookup.Find(mesh, clientNamespace, target);
        if (rule is not null)
        {
            var tls = DestinationRuleLookup.ResolveTls(rule, target.Port.Port, subset).Tls;
            if (tls is { SubjectAltNames.IsDefaultOrEmpty: false })
            {
                return (tls.SubjectAltNames, $"DestinationRule {rule.Name}");
            }
        }
        var ids = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (workload, _) in ServiceResolver.Endpoints(mesh, target))
        {
            foreach (var td in TrustDomains.All(mesh.Mesh))
            {
                ids.Add(new SpiffeId(td, workload.Namespace, workload.ServiceAccount).Uri);
            }
        }
        return ([.. ids], "endpoints");
    }

    /// <summary>The SPIFFE ID a workload's sidecar presents.</summary>
    public static SpiffeId IdentityOf(MeshState mesh, Workload workload)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(workload);
        return new SpiffeId(mesh.Mesh.TrustDomain, workload.Namespace, workload.ServiceAccount);
    }
}

/// <summary>The local trust domain and its aliases, which the mesh treats as one.</summary>
public static class TrustDomains
{
    /// <summary>Trust domain first, then aliases, without duplicates.</summary>
    public static ImmutableArray<string> All(MeshConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = ImmutableArray.CreateBuilder<string>();
        result.Add(config.TrustDomain);
        foreach (var alias in config.TrustDomainAliases)
        {
            if (!result.Contains(alias)) result.Add(alias);
        }
        return result.ToImmutable();
    }

    /// <summary>
    /// Istio's ReplaceTrustDomainAliases for AuthorizationPolicy principals: a principal in the local trust
    /// domain, an alias, or the literal "cluster.local" covers every one of them.
    /// </summary>
    public static ImmutableArray<string> ExpandPrincipals(MeshConfig config, ImmutableArray<string> principals)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (principals.IsDefaultOrEmpty) return principals.IsDefault ? [] : principals;
        var all = All(config);
        if (all.Length == 1 && config.TrustDomain == "cluster.local") return principals;
        var result = ImmutableArray.CreateBuilder<string>();
        foreach (var principal in principals)
        {
            var slash = principal.IndexOf('/', StringComparison.Ordinal);
            var td = slash > 0 ? principal[..slash] : null;
            if (td is null || td.Contains('*', StringComparison.Ordinal) || !(td == "cluster.local" || all.Contains(td)))
            {
                if (!result.Contains(principal)) result.Add(principal);
                continue;
            }
            foreach (var domain in all)
            {
                var expanded = domain + principal[slash..];
                if (!result.Contains(expanded)) result.Add(expanded);
            }
        }
        return result.ToImmutable();
    }
}

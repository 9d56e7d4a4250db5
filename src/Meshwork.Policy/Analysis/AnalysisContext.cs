using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy.Analysis;

/// <summary>The mesh under analysis and its workloads, computed once for every analyzer.</summary>
public sealed class AnalysisContext
{
    public AnalysisContext(MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        Mesh = mesh;
        // The same choice ServiceResolver.Endpoints makes: running pods when there are any, else the Deployments' templates.
        Workloads = mesh.Pods.IsDefaultOrEmpty
            ? Workload.AllFromDeployments(mesh)
            : [.. mesh.Pods.Select(Workload.FromPod)];
    }

    public MeshState Mesh { get; }

    /// <summary>Calls seen on the wire (from the proxies' metrics), when the caller of <c>analyze</c> has them.</summary>
    public ImmutableArray<ObservedCall> ObservedCalls { get; init; } = [];
    public ImmutableArray<Workload> Workloads { get; }
    public string RootNamespace => Mesh.Mesh.RootNamespace;

    /// <summary>
    /// The workloads a selector policy in <paramref name="policyNamespace"/> applies to: its own namespace's,
    /// or every namespace's when it sits in the root namespace (as AuthorizationPolicy does).
    /// </summary>
    public IEnumerable<Workload> Selected(string policyNamespace, LabelSelector selector, bool rootReachesAll)
    {
        ArgumentNullException.ThrowIfNull(selector);
        foreach (var workload in Workloads)
        {
            var inScope = workload.Namespace == policyNamespace || (rootReachesAll && policyNamespace == RootNamespace);
            if (inScope && selector.Matches(workload.Labels)) yield return workload;
        }
    }

    /// <summary>"app=x,version=v1", as istioctl prints a selector.</summary>
    public static string Text(LabelSelector selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return string.Join(',', selector.MatchLabels.Select(kv => $"{kv.Key}={kv.Value}"));
    }
}

/// <summary>A workload seen calling a service: source namespace and workload, destination service FQDN.</summary>
public sealed record ObservedCall(string SourceNamespace, string SourceWorkload, string DestinationHost);

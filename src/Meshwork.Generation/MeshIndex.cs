using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Generation;

/// <summary>
/// Lookups over one mesh state that generation would otherwise answer by scanning every pod or
/// Deployment once per Service (or per endpoint): pods and Deployments indexed by one
/// (namespace, label key, label value), so that a selector only looks at objects carrying its
/// first label. Every answer is the one the scan gave, in the same (mesh list) order.
/// </summary>
internal sealed class MeshIndex
{
    private readonly Dictionary<(string Namespace, string Key, string Value), List<Pod>> _podsByLabel = [];
    private readonly Dictionary<(string Namespace, string Name), Pod> _podsByName = [];
    private readonly Dictionary<(string Namespace, string Key, string Value), List<(int Order, Deployment Deployment)>> _deploymentsByFirstLabel = [];
    private readonly Dictionary<string, List<Service>> _servicesByNamespace = new(StringComparer.Ordinal);

    public MeshIndex(MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        Mesh = mesh;
        foreach (var pod in mesh.Pods)
        {
            // Keyed by the namespace policy resolves a pod to (unset reads as "default"); callers
            // that compare namespaces exactly filter again.
            var ns = pod.Metadata.Namespace ?? "default";
            foreach (var (key, value) in pod.Metadata.Labels) Add(_podsByLabel, (ns, key, value), pod);
            if (pod.Metadata.Namespace is { } exact) _podsByName.TryAdd((exact, pod.Metadata.Name), pod);
        }
        foreach (var service in mesh.Services)
        {
            if (service.Metadata.Namespace is { } ns) Add(_servicesByNamespace, ns, service);
        }
        var order = 0;
        foreach (var deployment in mesh.Deployments)
        {
            var position = order++;
            // A Deployment with an empty selector, or outside any namespace, owns no pod.
            if (deployment.Metadata.Namespace is not { } ns || deployment.Spec.Selector.IsEmpty) continue;
            var (key, value) = deployment.Spec.Selector.MatchLabels.First();
            Add(_deploymentsByFirstLabel, (ns, key, value), (position, deployment));
        }
    }

    public MeshState Mesh { get; }

    /// <summary>
    /// Pods whose namespace (unset reads as "default") is <paramref name="namespace"/> and whose labels
    /// <paramref name="selector"/> matches, in mesh order. Empty for an empty selector.
    /// </summary>
    public IReadOnlyList<Pod> PodsSelectedBy(string @namespace, LabelSelector selector)
    {
        if (selector.IsEmpty) return [];
        var (key, value) = selector.MatchLabels.First();
        if (!_podsByLabel.TryGetValue((@namespace, key, value), out var candidates)) return [];
        if (selector.MatchLabels.Count == 1) return candidates;
        return [.. candidates.Where(p => selector.Matches(p.Metadata.Labels))];
    }

    /// <summary>The Services whose namespace is exactly <paramref name="namespace"/>, in mesh order (every proxy of a namespace asks, so a mesh of 10,000 Services is not scanned per proxy).</summary>
    public IReadOnlyList<Service> ServicesIn(string @namespace) => _servicesByNamespace.TryGetValue(@namespace, out var services) ? services : [];

    /// <summary>The pod named <paramref name="pod"/> in <paramref name="namespace"/>, first in mesh order; null when none.</summary>
    public Pod? PodNamed(string @namespace, string pod) => _podsByName.GetValueOrDefault((@namespace, pod));

    /// <summary>The first Deployment (mesh order) of <paramref name="namespace"/> whose non-empty selector matches <paramref name="labels"/>.</summary>
    public Deployment? OwningDeployment(string @namespace, IReadOnlyDictionary<string, string> labels)
    {
        (int Order, Deployment Deployment)? best = null;
        // The owner's first selector label is one of the pod's labels: look only there.
        foreach (var (key, value) in labels)
        {
            if (!_deploymentsByFirstLabel.TryGetValue((@namespace, key, value), out var candidates)) continue;
            foreach (var candidate in candidates)
            {
                if (best is { } b && b.Order < candidate.Order) break;
                if (candidate.Deployment.Spec.Selector.Matches(labels)) { best = candidate; break; }
            }
        }
        return best?.Deployment;
    }

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> index, TKey key, TValue value) where TKey : notnull
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(value);
    }
}

using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Scheduling;

/// <summary>Where a Deployment's replicas run: one node name per replica, or why none can run.</summary>
public sealed record Placement(ImmutableArray<string> NodeOfReplica, string? Unschedulable)
{
    /// <summary>How many of the replicas <paramref name="node"/> runs.</summary>
    public int CountOn(string node) => NodeOfReplica.Count(n => n == node);
}

/// <summary>
/// Places a Deployment's replicas on the live nodes. Every node's runtime computes it alone, from the same Node
/// objects, and runs the replicas placed on itself: there is no scheduler process to lose. The nodes that fit
/// (a template's <c>nodeName</c>, its <c>nodeSelector</c> over the node's labels, <c>kubernetes.io/hostname</c>
/// being the node's name) are taken in name order from a place the Deployment's name picks, one replica each in
/// turn, so that replicas spread and two Deployments do not all start on the same node.
/// </summary>
public static class PodPlacement
{
    public static Placement Place(string @namespace, string deployment, int replicas, PodSpec spec, IEnumerable<Node> nodes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var live = nodes.Where(n => n.IsReady(now)).ToList();
        var fitting = live.Where(n => Fits(spec, n)).Select(n => n.Metadata.Name).Order(StringComparer.Ordinal).ToList();
        if (replicas <= 0) return new Placement([], null);
        if (fitting.Count == 0)
        {
            var why = live.Count == 0 ? "no live node" : $"none of the {live.Count} live node(s) matches the pod's {(spec.NodeName is not null ? "nodeName" : "nodeSelector")}";
            return new Placement([], $"0/{live.Count} nodes are available: {why}");
        }
        var start = (int)(AddressRanges.StableHash($"{@namespace}/{deployment}") % (uint)fitting.Count);
        return new Placement([.. Enumerable.Range(0, replicas).Select(i => fitting[(start + i) % fitting.Count])], null);
    }

    /// <summary>Whether a pod of <paramref name="spec"/> may run on <paramref name="node"/>.</summary>
    public static bool Fits(PodSpec spec, Node node)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(node);
        var name = node.Metadata.Name;
        if (spec.NodeName is { } wanted && wanted != name) return false;
        foreach (var (key, value) in spec.NodeSelector)
        {
            var label = key == Node.HostnameLabel ? name : node.Metadata.Labels.GetValueOrDefault(key);
            if (label != value) return false;
        }
        return true;
    }
}

using System.Net;
using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>
/// A Node's spec.podCIDR is its own in the mesh: a write that gives a node a range overlapping another node's is
/// refused (Invalid, on spec.podCIDR), as the API server refuses a clusterIP already allocated. It is checked in
/// the write transaction, where writers are serialized, so two hosts that join at the same instant cannot both
/// hold one range: the second write fails and that host claims the next range. A node keeps its range while its
/// Node exists (Kubernetes releases a podCIDR only when the Node is deleted).
/// </summary>
public sealed class PodRangeAllocation
{
    public const string Field = "spec.podCIDR";

    private readonly List<(string Node, IPNetwork Range)> _held = [];

    /// <param name="nodes">The Nodes stored now.</param>
    public PodRangeAllocation(IEnumerable<Resource> nodes)
    {
        foreach (var node in nodes.OfType<Node>())
        {
            if (node.Spec.PodCidr is { } cidr && IPNetwork.TryParse(cidr, out var range)) _held.Add((node.Metadata.Name, range));
        }
    }

    /// <summary>Throws Invalid when <paramref name="incoming"/> is a Node whose range overlaps another node's; records it otherwise.</summary>
    public void Check(Resource incoming, int? index = null)
    {
        if (incoming is not Node { Spec.PodCidr: { } cidr } node || !IPNetwork.TryParse(cidr, out var range)) return;
        var name = node.Metadata.Name;
        foreach (var (holder, held) in _held)
        {
            if (holder == name || !Overlaps(held, range)) continue;
            var message = $"Node \"{name}\": {Field}: Invalid value: \"{cidr}\": the range is already allocated to node {holder}";
            throw new StoreException(StoreErrorKind.Invalid, message, [new StoreCause(index, Field, message)], ResourceKey.Of(incoming));
        }
        _held.RemoveAll(h => h.Node == name);
        _held.Add((name, range));
    }

    private static bool Overlaps(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);
}

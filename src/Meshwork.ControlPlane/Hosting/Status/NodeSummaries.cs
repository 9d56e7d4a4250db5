using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Hosting.Status;

/// <summary>The mesh's nodes for <see cref="ControlPlaneStatus"/>, read from the store with the pods that name them.</summary>
public static class NodeSummaries
{
    public static async Task<NodeSummary[]> ReadAsync(IResourceStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nodes = (await store.ListAsync(new ListOptions { Kind = "Node" }, cancellationToken).ConfigureAwait(false)).Items.OfType<Node>().ToList();
        if (nodes.Count == 0) return [];
        var pods = (await store.ListAsync(new ListOptions { Kind = "Pod" }, cancellationToken).ConfigureAwait(false)).Items.OfType<Pod>();
        var podsOn = pods.Where(p => p.Spec.NodeName is not null).GroupBy(p => p.Spec.NodeName!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return [.. nodes.OrderBy(n => n.Metadata.Name, StringComparer.Ordinal).Select(n => new NodeSummary(
            n.Metadata.Name, n.IsReady(now), n.Spec.PodCidr, n.Status.InternalIp,
            n.Status.LastHeartbeatTime is { } at ? Math.Round(Math.Max(0, (now - at).TotalSeconds), 1) : null,
            podsOn.GetValueOrDefault(n.Metadata.Name)))];
    }
}

using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Store;

namespace Meshwork.ControlPlane.Tests.Store;

/// <summary>A Node's pod range is its own in the mesh: what keeps two hosts that join at once from sharing a /24.</summary>
public abstract partial class ResourceStoreComplianceTests
{
    private static Node NodeWithRange(string name, string podCidr) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name },
        Spec = new NodeSpec { PodCidr = podCidr },
        Status = new NodeStatus { InternalIp = "10.250.0.1", LastHeartbeatTime = DateTimeOffset.UtcNow },
    };

    [Fact]
    public async Task Two_nodes_claiming_one_pod_range_at_once_leave_it_to_exactly_one_and_the_other_takes_the_next()
    {
        var claims = await Task.WhenAll(Enumerable.Range(1, 2).Select(i => Task.Run(async () =>
        {
            try
            {
                await Store.PutAsync(NodeWithRange($"node-{i}", "10.244.7.0/24"));
                return (Node: $"node-{i}", Error: (StoreException?)null);
            }
            catch (StoreException e)
            {
                return (Node: $"node-{i}", Error: e);
            }
        })));

        var winner = Assert.Single(claims, c => c.Error is null);
        Assert.All(claims.Where(c => c.Error is not null), c =>
        {
            Assert.Equal(StoreErrorKind.Invalid, c.Error!.Kind);
            Assert.Equal(PodRangeAllocation.Field, Assert.Single(c.Error.Causes).Field);
            Assert.Contains(winner.Node, c.Error.Message, StringComparison.Ordinal);
        });
        var loser = claims.First(c => c.Error is not null).Node;
        await Store.PutAsync(NodeWithRange(loser, "10.244.8.0/24"));
        var ranges = (await Store.ListAsync(new ListOptions { Kind = "Node" })).Items.OfType<Node>().Select(n => n.Spec.PodCidr).ToList();
        Assert.Equal(["10.244.7.0/24", "10.244.8.0/24"], ranges.Order());
    }

    [Fact]
    public async Task A_node_keeps_renewing_its_own_range_and_an_overlapping_range_is_refused_in_an_apply_too()
    {
        await Store.PutAsync(NodeWithRange("node-1", "10.244.7.0/24"));
        await Store.PutAsync(NodeWithRange("node-1", "10.244.7.0/24") with { Status = new NodeStatus { LastHeartbeatTime = DateTimeOffset.UtcNow.AddSeconds(10) } });

        var overlapping = await Assert.ThrowsAsync<StoreException>(() => Store.ApplyAsync(ImmutableArray.Create<Resource>(NodeWithRange("node-2", "10.244.0.0/16"))));
        Assert.Equal(StoreErrorKind.Invalid, overlapping.Kind);

        // Once node-1 is gone its range is free.
        await Store.DeleteAsync(new ResourceKey("Node", null, "node-1"));
        await Store.PutAsync(NodeWithRange("node-2", "10.244.7.0/24"));
    }
}

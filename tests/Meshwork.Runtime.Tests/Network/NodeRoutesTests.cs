using Meshwork.Model.Resources;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Tests.Network;

public sealed class NodeRoutesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly Ipv4Range Own = Ipv4Range.Parse("10.244.1.0/24");

    private static Node NodeAt(string name, string? podCidr, string? address, TimeSpan heartbeatAge) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name },
        Spec = new NodeSpec { PodCidr = podCidr },
        Status = new NodeStatus { InternalIp = address, LastHeartbeatTime = Now - heartbeatAge },
    };

    private static Dictionary<string, string> Wanted(params Node[] nodes) =>
        NodeRoutes.Wanted(nodes, "node-1", "10.250.0.1", Own, Now).ToDictionary(r => r.Key.ToString(), r => r.Value.ToString());

    [Fact]
    public void Every_other_ready_node_range_is_routed_via_its_address()
    {
        var wanted = Wanted(
            NodeAt("node-1", "10.244.1.0/24", "10.250.0.1", TimeSpan.Zero),
            NodeAt("node-2", "10.244.2.0/24", "10.250.0.2", TimeSpan.FromSeconds(5)),
            NodeAt("node-3", "10.244.3.0/24", "10.250.0.3", TimeSpan.Zero));

        Assert.Equal(new Dictionary<string, string> { ["10.244.2.0/24"] = "10.250.0.2", ["10.244.3.0/24"] = "10.250.0.3" }, wanted);
    }

    [Fact]
    public void A_node_whose_heartbeat_lapsed_or_that_runs_on_this_host_gets_no_route()
    {
        var wanted = Wanted(
            NodeAt("gone", "10.244.2.0/24", "10.250.0.2", Node.HeartbeatTimeout + TimeSpan.FromSeconds(1)),
            NodeAt("same-loopback", "10.244.3.0/24", "127.0.0.1", TimeSpan.Zero),
            NodeAt("same-address", "10.244.4.0/24", "10.250.0.1", TimeSpan.Zero),
            NodeAt("no-range", null, "10.250.0.5", TimeSpan.Zero),
            NodeAt("no-address", "10.244.6.0/24", null, TimeSpan.Zero));

        Assert.Empty(wanted);
    }

    [Fact]
    public void A_range_that_overlaps_this_node_or_an_earlier_node_is_left_to_the_first_by_name()
    {
        var wanted = Wanted(
            NodeAt("node-b", "10.244.2.0/24", "10.250.0.3", TimeSpan.Zero),
            NodeAt("node-a", "10.244.2.0/24", "10.250.0.2", TimeSpan.Zero),
            NodeAt("node-c", "10.244.0.0/16", "10.250.0.4", TimeSpan.Zero));

        Assert.Equal(new Dictionary<string, string> { ["10.244.2.0/24"] = "10.250.0.2" }, wanted);
    }
}

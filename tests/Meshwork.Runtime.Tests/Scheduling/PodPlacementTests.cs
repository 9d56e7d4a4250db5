using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Scheduling;

namespace Meshwork.Runtime.Tests.Scheduling;

/// <summary>Where each node's runtime decides a Deployment's replicas run: the same answer on every node.</summary>
public sealed class PodPlacementTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 2, 15, 0, 0, TimeSpan.Zero);

    private static Node Node(string name, TimeSpan? heartbeatAge = null, params (string Key, string Value)[] labels) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Labels = labels.ToImmutableSortedDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal) },
        Status = new NodeStatus { LastHeartbeatTime = Now - (heartbeatAge ?? TimeSpan.FromSeconds(5)) },
    };

    private static PodSpec Spec(string? nodeName = null, params (string Key, string Value)[] selector) => new()
    {
        NodeName = nodeName,
        NodeSelector = selector.ToImmutableSortedDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal),
    };

    private static readonly Node[] ThreeNodes = [Node("host-c"), Node("host-a"), Node("host-b")];

    [Fact]
    public void Replicas_spread_over_the_live_nodes_one_each_in_turn()
    {
        var placement = PodPlacement.Place("foo", "httpbin", 4, Spec(), ThreeNodes, Now);

        Assert.Null(placement.Unschedulable);
        Assert.Equal(4, placement.NodeOfReplica.Length);
        Assert.Equal(3, placement.NodeOfReplica.Distinct().Count());
        Assert.Equal(4, new[] { "host-a", "host-b", "host-c" }.Sum(placement.CountOn));
    }

    [Fact]
    public void Every_node_computes_the_same_placement_whatever_order_it_lists_the_nodes_in()
    {
        var one = PodPlacement.Place("foo", "sleep", 2, Spec(), ThreeNodes, Now);
        var other = PodPlacement.Place("foo", "sleep", 2, Spec(), ThreeNodes.Reverse(), Now);

        Assert.Equal(one.NodeOfReplica.ToArray(), other.NodeOfReplica.ToArray());
    }

    [Fact]
    public void A_node_whose_heartbeat_stopped_gets_no_replica()
    {
        Node[] nodes = [Node("host-a"), Node("host-b", heartbeatAge: TimeSpan.FromMinutes(2))];

        var placement = PodPlacement.Place("foo", "httpbin", 3, Spec(), nodes, Now);

        Assert.Equal(["host-a", "host-a", "host-a"], placement.NodeOfReplica.ToArray());
    }

    [Fact]
    public void A_template_with_nodeName_runs_only_there()
    {
        var placement = PodPlacement.Place("foo", "httpbin", 2, Spec("host-b"), ThreeNodes, Now);

        Assert.Equal(["host-b", "host-b"], placement.NodeOfReplica.ToArray());
    }

    [Fact]
    public void A_nodeSelector_on_the_hostname_label_names_the_node_even_when_the_node_does_not_carry_the_label()
    {
        var placement = PodPlacement.Place("foo", "sleep", 1, Spec(null, (Meshwork.Model.Resources.Node.HostnameLabel, "host-c")), ThreeNodes, Now);

        Assert.Equal(["host-c"], placement.NodeOfReplica.ToArray());
    }

    [Fact]
    public void A_nodeSelector_matches_the_nodes_labels()
    {
        Node[] nodes = [Node("host-a", null, ("zone", "a")), Node("host-b", null, ("zone", "b"))];

        Assert.Equal(["host-b"], PodPlacement.Place("foo", "sleep", 1, Spec(null, ("zone", "b")), nodes, Now).NodeOfReplica.ToArray());
    }

    [Fact]
    public void A_pod_no_live_node_fits_is_unschedulable_and_says_why()
    {
        var placement = PodPlacement.Place("foo", "httpbin", 1, Spec("host-z"), ThreeNodes, Now);

        Assert.Empty(placement.NodeOfReplica.ToArray());
        Assert.Equal("0/3 nodes are available: none of the 3 live node(s) matches the pod's nodeName", placement.Unschedulable);
        Assert.Contains("no live node", PodPlacement.Place("foo", "httpbin", 1, Spec(), [], Now).Unschedulable, StringComparison.Ordinal);
    }
}

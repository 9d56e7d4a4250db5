using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Yaml;

/// <summary>The v1 Node a joining host registers, and the pod fields that place pods on nodes.</summary>
public sealed class NodeTests
{
    private const string NodeYaml = """
        apiVersion: v1
        kind: Node
        metadata:
          name: host-b
          labels: {kubernetes.io/hostname: host-b, zone: b}
        spec:
          podCIDR: 10.244.7.0/24
        status:
          addresses:
          - {type: InternalIP, address: 10.99.0.12}
          - {type: Hostname, address: host-b}
          conditions:
          - {type: Ready, status: "True", lastHeartbeatTime: "2026-01-02T15:04:05Z", reason: KubeletReady}
        """;

    [Fact]
    public void A_node_reads_its_pod_range_address_and_heartbeat_and_writes_back_the_same()
    {
        var node = TestRead.One<Node>(NodeYaml);

        Assert.Null(node.Metadata.Namespace);
        Assert.Equal("10.244.7.0/24", node.Spec.PodCidr);
        Assert.Equal("10.99.0.12", node.Status.InternalIp);
        Assert.Equal(DateTimeOffset.Parse("2026-01-02T15:04:05Z", System.Globalization.CultureInfo.InvariantCulture), node.Status.LastHeartbeatTime);
        Assert.Equal(node, TestRead.One<Node>(ResourceJson.Serialize(node)));
    }

    [Fact]
    public void A_node_is_ready_while_its_heartbeat_is_recent()
    {
        var node = TestRead.One<Node>(NodeYaml);
        var beat = node.Status.LastHeartbeatTime!.Value;

        Assert.True(node.IsReady(beat.AddSeconds(10)));
        Assert.False(node.IsReady(beat + Node.HeartbeatTimeout));
        Assert.False(new Node { ApiVersion = "v1", Metadata = new ObjectMeta { Name = "new" } }.IsReady(beat));
    }

    [Theory]
    [InlineData("spec:\n  podCIDR: 10.244.7.0/33", "spec.podCIDR")]
    [InlineData("status:\n  addresses:\n  - {type: InternalIP, address: host-b}", "status.addresses[0].address")]
    public void A_malformed_pod_range_or_address_is_an_error_naming_the_field(string body, string path)
    {
        var error = TestRead.OneError($"apiVersion: v1\nkind: Node\nmetadata:\n  name: host-b\n{body}\n");

        Assert.Equal(path, error.Path);
    }

    [Fact]
    public void A_pod_templates_nodeName_and_nodeSelector_are_read_and_written_back()
    {
        var deployment = TestRead.One<Deployment>("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: httpbin, namespace: foo}
            spec:
              selector: {matchLabels: {app: httpbin}}
              template:
                metadata: {labels: {app: httpbin}}
                spec:
                  nodeName: host-b
                  nodeSelector: {kubernetes.io/hostname: host-b}
                  containers:
                  - {name: httpbin, image: docker.io/kong/httpbin, command: [meshwork, sample, httpbin]}
            """);

        var spec = deployment.Spec.Template.Spec;
        Assert.Equal("host-b", spec.NodeName);
        Assert.Equal("host-b", spec.NodeSelector[Node.HostnameLabel]);
        Assert.Equal(deployment, TestRead.One<Deployment>(ResourceJson.Serialize(deployment)));
    }
}

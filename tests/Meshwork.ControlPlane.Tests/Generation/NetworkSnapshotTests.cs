using System.Collections.Immutable;
using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>
/// The plain network (role Network) is generated without any policy decision, so these tests pin
/// down endpoint selection, port resolution and versioning on their own.
/// </summary>
public sealed class NetworkSnapshotTests
{
    private static readonly ProxyRegistration Network = new() { Role = ProxyRole.Network, Namespace = "legacy", Pod = "sleep-1" };

    private static MeshState Mesh(params Resource[] resources) => MeshState.From(resources);

    [Fact]
    public void Lists_every_service_of_every_namespace_with_plaintext_endpoints()
    {
        var mesh = Mesh(
            Service("foo", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
            Service("bar", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
            Pod("foo", "httpbin-a", "httpbin", "127.0.1.10"),
            Pod("bar", "httpbin-b", "httpbin", "127.0.2.10"));

        var snapshot = SnapshotGenerator.Generate(Network, mesh, ["ROOT"]);

        Assert.Equal(["httpbin.bar.svc.cluster.local", "httpbin.foo.svc.cluster.local"], snapshot.Outbound.Select(s => s.Hostname));
        var endpoints = snapshot.Outbound.SelectMany(s => s.Ports).SelectMany(p => p.Endpoints).ToList();
        Assert.Equal(2, endpoints.Count);
        Assert.All(endpoints, e => Assert.Equal(UpstreamTlsMode.Disable, e.Tls));
        Assert.All(endpoints, e => Assert.Equal(8080, e.Port));
        Assert.All(snapshot.Outbound.SelectMany(s => s.Ports), p => Assert.Empty(p.AcceptedIdentities));
    }

    [Fact]
    public void Has_no_identity_no_inbound_and_no_trust_bundle()
    {
        var snapshot = SnapshotGenerator.Generate(Network, MeshState.Empty, ["ROOT"]);

        Assert.Null(snapshot.Node.SpiffeId);
        Assert.Null(snapshot.Node.ServiceAccount);
        Assert.Empty(snapshot.Inbound);
        Assert.Empty(snapshot.TrustBundle);
        Assert.Equal("sleep-1.legacy", snapshot.Node.Id);
    }

    [Fact]
    public void Resolves_a_named_target_port_per_pod_and_skips_pods_that_do_not_declare_it()
    {
        var mesh = Mesh(
            Service("foo", "web", "web", Port(80, target: IntOrString.Of("http-web"))),
            Pod("foo", "web-a", "web", "127.0.1.1", ports: Named("http-web", 9090)),
            Pod("foo", "web-b", "web", "127.0.1.2", ports: Named("other", 9191)));

        var port = Assert.Single(Assert.Single(SnapshotGenerator.Generate(Network, mesh, []).Outbound).Ports);

        var endpoint = Assert.Single(port.Endpoints);
        Assert.Equal(("127.0.1.1", 9090), (endpoint.Address, endpoint.Port));
        Assert.Equal(80, port.Port);
    }

    [Fact]
    public void Keeps_unready_pods_marked_not_ready_and_leaves_out_pods_without_an_address()
    {
        var mesh = Mesh(
            Service("foo", "web", "web", Port(80)),
            Pod("foo", "web-ready", "web", "127.0.1.1"),
            Pod("foo", "web-starting", "web", "127.0.1.2", ready: false),
            Pod("foo", "web-pending", "web", ip: null));

        var endpoints = SnapshotGenerator.Generate(Network, mesh, []).Outbound.Single().Ports.Single().Endpoints;

        Assert.Equal([("web-ready", true), ("web-starting", false)], endpoints.Select(e => (e.Pod!, e.Ready)));
    }

    [Fact]
    public void Selects_pods_of_the_service_namespace_only()
    {
        var mesh = Mesh(
            Service("foo", "web", "web", Port(80)),
            Pod("foo", "web-foo", "web", "127.0.1.1"),
            Pod("bar", "web-bar", "web", "127.0.2.1"));

        var endpoint = Assert.Single(SnapshotGenerator.Generate(Network, mesh, []).Outbound.Single().Ports.Single().Endpoints);

        Assert.Equal("web-foo", endpoint.Pod);
    }

    [Fact]
    public void Names_a_tcp_port_tcp_and_an_unnamed_port_http()
    {
        var mesh = Mesh(Service("foo", "db", "db", Port(5432, name: "tcp-postgres"), Port(8080, name: null), Port(9000, name: "x", appProtocol: "tcp")));

        var ports = SnapshotGenerator.Generate(Network, mesh, []).Outbound.Single().Ports;

        Assert.Equal([(5432, "tcp"), (8080, "http"), (9000, "tcp")], ports.Select(p => (p.Port, p.Protocol)));
    }

    [Fact]
    public void Equal_inputs_give_the_same_version_and_any_change_a_new_one()
    {
        var mesh = Mesh(Service("foo", "web", "web", Port(80)), Pod("foo", "web-a", "web", "127.0.1.1"));
        var moved = Mesh(Service("foo", "web", "web", Port(80)), Pod("foo", "web-a", "web", "127.0.1.2"));

        var first = SnapshotGenerator.Generate(Network, mesh, []);
        var again = SnapshotGenerator.Generate(Network, Mesh(Service("foo", "web", "web", Port(80)), Pod("foo", "web-a", "web", "127.0.1.1")), []);
        var changed = SnapshotGenerator.Generate(Network, moved, []);

        Assert.Equal(first.Version, again.Version);
        Assert.NotEqual(first.Version, changed.Version);
        Assert.Matches("^[0-9a-f]{16}$", first.Version);
    }
}

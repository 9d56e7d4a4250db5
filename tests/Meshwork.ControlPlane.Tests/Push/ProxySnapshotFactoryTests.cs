using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Push;

public sealed class ProxySnapshotFactoryTests
{
    private static readonly ProxyRegistration Network = new() { Role = ProxyRole.Network, Namespace = "legacy", Pod = "sleep-1" };

    private static MeshState Mesh(string ip) => MeshState.From([Service("foo", "web", "web", Port(80)), Pod("foo", "web-a", "web", ip)]);

    [Fact]
    public void Generation_is_skipped_while_the_inputs_hash_the_same()
    {
        var registry = new ProxyRegistry(new ManualTimeProvider(), new PushOptions());
        var connection = registry.Connect(Network, new SpiffeId("cluster.local", "meshwork-system", "network"));
        var factory = new ProxySnapshotFactory(() => new TrustBundle([]));

        var first = factory.For(connection, Mesh("127.0.1.1"));
        // A new mesh state object with equal content (an apply that changed nothing) ...
        var same = factory.For(connection, Mesh("127.0.1.1"));
        Assert.Equal(1, factory.Generations);
        Assert.Same(first, same);

        // ... versus a real change.
        var moved = factory.For(connection, Mesh("127.0.1.2"));
        Assert.Equal(2, factory.Generations);
        Assert.NotEqual(first.Version, moved.Version);
    }
}

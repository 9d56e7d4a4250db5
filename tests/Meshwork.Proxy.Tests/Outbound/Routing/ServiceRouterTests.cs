using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Outbound.Routing;

public sealed class ServiceRouterTests
{
    private static OutboundService Service(string name, params int[] ports) => new()
    {
        Name = name,
        Namespace = "foo",
        Hostname = $"{name}.foo.svc.cluster.local",
        Ports = [.. ports.Select(p => new OutboundPort
        {
            Port = p, Protocol = "http",
            Endpoints = [new UpstreamEndpoint { Address = "127.0.0.1", Port = p, Tls = UpstreamTlsMode.Disable }],
        })],
    };

    private static readonly ServiceRouter Router = new([Service("reviews", 9080), Service("ratings", 9080, 9090)], "foo");

    [Fact]
    public void A_route_destination_without_a_port_takes_the_called_port_when_the_service_has_it_else_its_only_port()
    {
        Assert.True(Router.TryDestination("ratings.foo.svc.cluster.local", 0, null, 9090, out var called, out _));
        Assert.Equal(9090, called!.Port.Port);
        Assert.True(Router.TryDestination("reviews.foo.svc.cluster.local", 0, null, 8000, out var only, out _));
        Assert.Equal(9080, only!.Port.Port);
        // Several ports and none of them the called one: nothing to guess from.
        Assert.False(Router.TryDestination("ratings.foo.svc.cluster.local", 0, null, 8000, out _, out var error));
        Assert.Equal("service ratings.foo.svc.cluster.local has no port 8000", error);
    }

    [Fact]
    public void Routing_a_request_to_a_destination_allocates_nothing()
    {
        Router.TryDestination("ratings.foo.svc.cluster.local", 0, null, 9090, out _, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(Router.TryDestination("ratings.foo.svc.cluster.local", 0, null, 9090, out _, out _));
            Assert.True(Router.TryDestination("reviews.foo.svc.cluster.local", 0, null, 8000, out _, out _));
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1000, $"allocated {allocated} bytes for 2000 routed requests");
    }
}

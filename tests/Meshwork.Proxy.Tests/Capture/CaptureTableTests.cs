using Meshwork.Proxy.Capture;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Capture;

public sealed class CaptureTableTests
{
    private static OutboundService Service(string name, string? clusterIp, params (int Port, string Protocol, string PodIp, int TargetPort)[] ports) => new()
    {
        Name = name,
        Namespace = "foo",
        Hostname = $"{name}.foo.svc.cluster.local",
        ClusterIp = clusterIp,
        Ports = [.. ports.Select(p => new OutboundPort
        {
            Port = p.Port, Protocol = p.Protocol,
            Endpoints = [new UpstreamEndpoint { Address = p.PodIp, Port = p.TargetPort, Tls = UpstreamTlsMode.Disable }],
        })],
    };

    private static CaptureTable Table(params OutboundService[] services) => new(new ServiceRouter([.. services], "foo"));

    private static Ipv4EndPoint At(string ip, int port) => Ipv4EndPoint.TryParse(ip, port, out var e) ? e : throw new ArgumentException(ip);

    [Fact]
    public void A_clusterIP_and_service_port_name_that_service_port()
    {
        var table = Table(Service("httpbin", "10.96.0.10", (8000, "http", "10.244.0.5", 8080), (9000, "tcp", "10.244.0.5", 9000)), Service("other", "10.96.0.11", (8000, "http", "10.244.0.6", 80)));

        var http = table.Resolve(At("10.96.0.10", 8000));
        Assert.Equal("httpbin.foo.svc.cluster.local:8000", http.Target!.Authority);
        Assert.Null(http.Pinned);
        Assert.Equal("tcp", table.Resolve(At("10.96.0.10", 9000)).Target!.Port.Protocol);
        Assert.Equal("other.foo.svc.cluster.local:8000", table.Resolve(At("10.96.0.11", 8000)).Target!.Authority);
        // A port the Service does not have is not the Service.
        Assert.Null(table.Resolve(At("10.96.0.10", 8080)).Target);
    }

    [Fact]
    public void A_pod_dialled_at_an_endpoint_port_is_that_endpoint_and_anything_else_is_passthrough()
    {
        var table = Table(Service("httpbin", "10.96.0.10", (8000, "http", "10.244.0.5", 8080)));

        var direct = table.Resolve(At("10.244.0.5", 8080));
        Assert.Equal("httpbin.foo.svc.cluster.local:8000", direct.Target!.Authority);
        Assert.Equal("10.244.0.5", direct.Pinned!.Address);
        Assert.Null(table.Resolve(At("10.244.0.5", 22)).Target);
        Assert.Null(table.Resolve(At("93.184.216.34", 80)).Target);
    }

    [Fact]
    public void Headless_and_unallocated_services_have_no_virtual_address()
    {
        var table = Table(Service("headless", "None", (8000, "http", "10.244.0.7", 8000)), Service("pending", null, (8000, "http", "10.244.0.8", 8000)));

        Assert.Null(table.Resolve(At("0.0.0.0", 8000)).Target);
        // Their pods are still reachable directly, as endpoints.
        Assert.Equal("headless.foo.svc.cluster.local:8000", table.Resolve(At("10.244.0.7", 8000)).Target!.Authority);
    }
}

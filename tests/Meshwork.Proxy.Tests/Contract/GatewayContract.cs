using System.Net;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>
/// In through an ingress gateway's plaintext Gateway port 80, curl sending the request's Host as it is. The gateway
/// runs as the chain's client identity (sleep.foo), so the contract's labels and XFCC hold unchanged; its one bound
/// VirtualService answers every host ("*") with the chain's routes, or sends everything to httpbin.foo:8000 when the
/// chain has none. A route without a port takes the Service port the gateway was called on, 80.
/// </summary>
public sealed class GatewayContract : EntryPathContract
{
    protected override async Task<IEntryPath> OpenAsync(ContractChain chain)
    {
        VirtualHostRoutes[] routes = chain.Routes.Length > 0
            ? [.. chain.Routes.Select(r => r with { Hosts = ["*"] })]
            : [new VirtualHostRoutes { Hosts = ["*"], Routes = [new HttpRouteRule { Destinations = [new RouteCluster { Host = ContractChain.HttpbinHost, Port = 8000 }] }], Source = "VirtualService foo/httpbin" }];
        var ip = Mesh.NextPodIp();
        var listen = new IPEndPoint(IPAddress.Parse(ip), Mesh.FreePort(ip));
        var gateway = await chain.Mesh.StartPodAsync("foo", "sleep", outbound: [chain.Service], role: ProxyRole.Gateway, credentials: chain.ClientCredentials, ip: ip,
            gateways: [new GatewayListener { Port = 80, Protocol = "http", Hosts = ["*"], VirtualHosts = [.. routes] }],
            gatewayPorts: [new GatewayPort(listen, 80)]);
        return new Entry(gateway, listen);
    }

    private sealed class Entry(Pod gateway, IPEndPoint listen) : IEntryPath
    {
        public Uri? SourceAdmin => gateway.Admin;

        public Task<ContractResponse> SendAsync(ContractRequest request) =>
            CurlRequest.SendAsync(request, $"http://{listen}{request.Path}", "-H", $"Host: {request.Host}");

        public Task SendManyAsync(ContractRequest request, int count) =>
            CurlRequest.SendManyAsync(request, count, $"http://{listen}{request.Path}", "-H", $"Host: {request.Host}");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;   // the mesh owns the pod
    }
}

using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>VirtualService tcp routes, held on every path whose connections the client sidecar tunnels without parsing them.</summary>
public abstract partial class EntryPathContract
{
    /// <summary>Why tcp routes do not apply on this path; null: they do.</summary>
    protected virtual string? NoTcpRouting =>
        "the client sidecar parses this path's requests as HTTP: a VirtualService's http routes apply to them, its tcp routes to tunnelled connections";

    private static TcpRouteRule TcpToSubset(string subset, params int[] ports) => new()
    {
        Ports = [.. ports],
        Destinations = [new RouteCluster { Host = ContractChain.HttpbinHost, Port = 0, Subset = subset }],
    };

    [Fact]
    public virtual async Task A_tcp_route_matching_the_port_sends_the_connection_to_its_subset()
    {
        if (NoTcpRouting is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason));
            return;
        }
        var (chain, entry) = await OpenAsync(new ChainShape { TcpRoutes = [TcpToSubset("v1", 9999), TcpToSubset("v2", 8000)] });
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal((200, "httpbin-v2"), (response.Status, response.Body.Trim()));
        Assert.Equal(0, _app.Requests("/name"));
        Assert.Equal(1, chain.AppV2!.Requests("/name"));
    }

    [Fact]
    public virtual async Task A_connection_to_a_port_no_tcp_route_takes_reaches_no_endpoint()
    {
        if (NoTcpRouting is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason));
            return;
        }
        var (chain, entry) = await OpenAsync(new ChainShape { TcpRoutes = [TcpToSubset("v2", 9999)] });
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.NotEqual(200, response.Status);
        Assert.Equal(0, _app.Requests("/name") + chain.AppV2!.Requests("/name"));
    }
}

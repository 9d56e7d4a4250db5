using System.Net;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Tests.Contract;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Gateway;

/// <summary>
/// The ingress gateway role over real sockets: a Gateway server on port 80 hosts "*", a VirtualService for "*" to
/// web-frontend (no sidecar: plaintext) and one for customers' FQDN to customers (sidecar, STRICT: mTLS), as the
/// web-frontend / customers tutorial lays them out.
/// </summary>
public sealed class IngressGatewayTests : IAsyncLifetime
{
    private const string GatewayId = "spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway";
    private const string CustomersId = "spiffe://cluster.local/ns/default/sa/customers";
    private const string CustomersHost = "customers.default.svc.cluster.local";
    private const string FrontendHost = "web-frontend.default.svc.cluster.local";
    private readonly Mesh _mesh = new();
    private EchoApp _frontend = null!;
    private EchoApp _customers = null!;
    private Pod _customersPod = null!;

    public async Task InitializeAsync()
    {
        _frontend = await _mesh.StartAppAsync("web-frontend");
        _customers = await _mesh.StartAppAsync("customers");
        _customersPod = await _mesh.StartPodAsync("default", "customers", inbound: [(Mesh.Inbound(3000, InboundTlsMode.Strict), _customers.Port)]);
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private static HttpRouteRule To(string host) => new() { Destinations = [new RouteCluster { Host = host, Port = 80 }] };

    private async Task<IPEndPoint> StartGatewayAsync(params string[] serverHosts)
    {
        var customers = Mesh.Service("customers", "default", 80, UpstreamTlsMode.IstioMutual, [CustomersId], (_customersPod, 3000));
        var frontend = new OutboundService
        {
            Name = "web-frontend", Namespace = "default", Hostname = FrontendHost,
            Ports = [new OutboundPort { Port = 80, Name = "http", Protocol = "http", Endpoints = [new UpstreamEndpoint { Address = "127.0.0.1", Port = _frontend.Port, Tls = UpstreamTlsMode.Disable, Workload = "web-frontend", Namespace = "default" }] }],
        };
        var listener = new GatewayListener
        {
            Port = 80, Protocol = "http", Hosts = [.. serverHosts],
            VirtualHosts =
            [
                new VirtualHostRoutes { Hosts = ["*"], Routes = [To(FrontendHost)], Source = "VirtualService default/web-frontend" },
                new VirtualHostRoutes { Hosts = [CustomersHost], Routes = [To(CustomersHost)], Source = "VirtualService default/customers" },
            ],
        };
        var ip = Mesh.NextPodIp();
        var listen = new IPEndPoint(IPAddress.Parse(ip), Mesh.FreePort(ip));
        await _mesh.StartPodAsync("istio-system", "istio-ingressgateway", outbound: [customers, frontend], role: ProxyRole.Gateway, ip: ip,
            gateways: [listener], gatewayPorts: [new GatewayPort(listen, 80)]);
        return listen;
    }

    [Fact]
    public async Task Any_host_reaches_the_frontend_in_plaintext_and_the_customers_host_reaches_customers_over_mtls()
    {
        var gateway = await StartGatewayAsync("*");
        var page = await CurlRequest.SendAsync(new ContractRequest("", "/name"), $"http://{gateway}/name");
        Assert.Equal((200, "web-frontend"), (page.Status, page.Body.Trim()));

        var customers = await CurlRequest.SendAsync(new ContractRequest(CustomersHost, "/name"), $"http://{gateway}/name", "-H", $"Host: {CustomersHost}");
        Assert.Equal((200, "customers"), (customers.Status, customers.Body.Trim()));

        // customers' sidecar saw the gateway's identity over mTLS, and the gateway's peer metadata.
        var destination = await RequestSeries.WaitForAsync(_customersPod.Admin, "destination", s => s["response_code"] == "200");
        Assert.NotNull(destination);
        Assert.Equal("mutual_tls", destination["connection_security_policy"]);
        Assert.Equal(GatewayId, destination["source_principal"]);
        Assert.Equal("istio-ingressgateway", destination["source_workload"]);
        Assert.Equal("istio-system", destination["source_workload_namespace"]);
    }

    [Fact]
    public async Task A_host_no_server_accepts_is_a_404_and_reaches_no_app()
    {
        var gateway = await StartGatewayAsync("*.example.com", CustomersHost);
        var refused = await CurlRequest.SendAsync(new ContractRequest("other.org", "/name"), $"http://{gateway}/name", "-H", "Host: other.org");
        Assert.Equal(404, refused.Status);
        Assert.Equal(0, _frontend.Requests("/name"));

        var accepted = await CurlRequest.SendAsync(new ContractRequest("shop.example.com", "/name"), $"http://{gateway}/name", "-H", "Host: shop.example.com");
        Assert.Equal((200, "web-frontend"), (accepted.Status, accepted.Body.Trim()));
    }
}

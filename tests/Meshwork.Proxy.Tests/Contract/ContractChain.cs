using Meshwork.Identity;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>How a contract test wants the far side laid out.</summary>
public sealed record ChainShape
{
    /// <summary>AuthorizationPolicies on the server's workload port 8000.</summary>
    public AuthzPolicy[] Policies { get; init; } = [];
    /// <summary>The server's service account; anything but "httpbin" is an identity the service does not list.</summary>
    public string ServerServiceAccount { get; init; } = "httpbin";
    /// <summary>An endpoint where nothing listens, listed before the server (round robin tries it first).</summary>
    public bool RefusingEndpointFirst { get; init; }
    /// <summary>The server sidecar's app port is one where nothing listens.</summary>
    public bool AppRefuses { get; init; }
    /// <summary>The client side holds a certificate from a CA the mesh does not trust.</summary>
    public bool ForeignClient { get; init; }
    /// <summary>The client's VirtualService routes for httpbin.foo; with any, a second server (app "httpbin-v2") joins as subset v2, the first being v1.</summary>
    public HttpRouteRule[] Routes { get; init; } = [];
    /// <summary>The client's VirtualService tcp routes for httpbin.foo; with any, subset v2 joins as with <see cref="Routes"/>.</summary>
    public TcpRouteRule[] TcpRoutes { get; init; } = [];
}

/// <summary>
/// What an entry path is opened against: httpbin.foo's server sidecar (STRICT on workload port 8000) in
/// front of the app, the service that names it as a client's snapshot lists it, and the client's credentials.
/// The service has ports 8000 and 80, both to workload port 8000, so that a client can reach it with
/// and without a port in its authority.
/// </summary>
public sealed record ContractChain(Mesh Mesh, EchoApp App, Pod Server, OutboundService Service, WorkloadCredentials ClientCredentials)
{
    public const string HttpbinHost = "httpbin.foo.svc.cluster.local";

    /// <summary>The app of subset v2, when the shape has routes.</summary>
    public EchoApp? AppV2 { get; init; }

    /// <summary>The client's VirtualService routes, as its snapshot lists them.</summary>
    public VirtualHostRoutes[] Routes { get; init; } = [];

    public const string HttpbinId = "spiffe://cluster.local/ns/foo/sa/httpbin";
    public const string SleepId = "spiffe://cluster.local/ns/foo/sa/sleep";

    /// <param name="serverIp">The server sidecars' address; null: a loopback address of their own.</param>
    public static async Task<ContractChain> StartAsync(Mesh mesh, EchoApp app, ChainShape shape, string? serverIp = null)
    {
        var appPort = shape.AppRefuses ? Mesh.FreePort(app.Address.ToString()) : app.Port;
        var server = await mesh.StartPodAsync("foo", shape.ServerServiceAccount, inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict, "http", shape.Policies), appPort)], ip: serverIp);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, [HttpbinId], (server, 8000));
        var port = service.Ports[0];
        if (shape.RefusingEndpointFirst)
        {
            var refusing = new UpstreamEndpoint { Address = "127.0.0.1", Port = Mesh.FreePort("127.0.0.1"), Tls = UpstreamTlsMode.IstioMutual };
            port = port with { Endpoints = port.Endpoints.Insert(0, refusing) };
        }
        EchoApp? appV2 = null;
        VirtualHostRoutes[] routes = [];
        if (shape.Routes.Length > 0 || shape.TcpRoutes.Length > 0)
        {
            appV2 = await mesh.StartAppAsync("httpbin-v2");
            var serverV2 = await mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict, "http"), appV2.Port)], ip: serverIp);
            var v2 = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, [HttpbinId], (serverV2, 8000)).Ports[0].Endpoints;
            port = port with
            {
                Endpoints = port.Endpoints.AddRange(v2),
                Subsets =
                [
                    new OutboundSubset { Name = "v1", Endpoints = port.Endpoints, AcceptedIdentities = [HttpbinId] },
                    new OutboundSubset { Name = "v2", Endpoints = v2, AcceptedIdentities = [HttpbinId] },
                ],
            };
            routes = [new VirtualHostRoutes { Hosts = [HttpbinHost], Routes = [.. shape.Routes], Tcp = shape.TcpRoutes.Length > 0 ? [.. shape.TcpRoutes] : null, Source = "VirtualService foo/httpbin" }];
        }
        service = service with { Ports = [port, port with { Port = 80, Name = "http-80" }] };
        var credentials = shape.ForeignClient
            ? Meshwork.Testing.TestCertificateAuthority.Create(name: "Foreign").IssueWorkload("foo", "sleep")
            : mesh.Ca.IssueWorkload("foo", "sleep");
        return new ContractChain(mesh, app, server, service, credentials) { AppV2 = appV2, Routes = routes };
    }

    /// <summary>sleep.foo's sidecar, its snapshot listing the service and the routes; the mesh owns it.</summary>
    public Task<Pod> StartClientPodAsync() => Mesh.StartPodAsync("foo", "sleep", outbound: [Service], credentials: ClientCredentials, routes: Routes);
}

using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Inbound;

public sealed class Http2Tests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task A_mesh_client_negotiating_h2_over_mtls_is_served_HTTP2_and_the_app_gets_xfcc()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)]);
        var client = _mesh.Ca.IssueWorkload("foo", "sleep");
        // HTTP/1.1, what mesh clients speak, runs on the proxy's own relay: Kestrel starts with the first h2 connection.
        await MeshClient.GetAsync(server.Ip, server.InboundPort(8000), client, _mesh.Ca.TrustBundle, "/ip");
        Assert.False(server.Proxy.Http2Started, "an HTTP/1.1 request started the HTTP/2 stage");
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = SslStreamCertificateContext.Create(client.Leaf, client.IntermediateCollection, offline: true),
                RemoteCertificateValidationCallback = (_, cert, chain, _) =>
                    cert is X509Certificate2 c && _mesh.Ca.TrustBundle.Verify(c, chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>() ?? [], DateTimeOffset.UtcNow, out _),
            },
        };
        using var http = new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var response = await http.GetAsync($"https://{server.Ip}:{server.InboundPort(8000)}/headers");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.True(server.Proxy.Http2Started);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains("URI=spiffe://cluster.local/ns/foo/sa/sleep", json.RootElement.GetProperty("headers").GetProperty("x-forwarded-client-cert").GetString());
    }

    [Fact]
    public async Task The_server_sees_the_client_pod_ip_as_the_source()
    {
        // An ipBlocks DENY on the client pod's address only matches if sidecar traffic leaves from that address.
        var clientIp = Mesh.NextPodIp();
        var deny = new AuthzPolicy
        {
            Name = "foo/deny-client-ip", Action = AuthzAction.Deny,
            Rules = [new AuthzRule { From = [new AuthzSource { IpBlocks = [$"{clientIp}/32"] }] }],
        };
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict, "http", deny), _app.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, ["spiffe://cluster.local/ns/foo/sa/httpbin"], (server, 8000));
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service], ip: clientIp);
        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/ip");
        Assert.Equal("403", result.HttpCode);
    }
}

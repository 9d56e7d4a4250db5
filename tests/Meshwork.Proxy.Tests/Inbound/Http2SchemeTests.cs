using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Identity;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Inbound;

/// <summary>
/// HTTP/2 over mesh mTLS as proxies speak it: the TLS is the mesh's transport, so the request's
/// :scheme is the app's ("http"), as Envoy sidecars and Meshwork's own client sidecar send it.
/// </summary>
public sealed class Http2SchemeTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    /// <summary>A client that dials the pod, originates mTLS offering only h2, and sends prior-knowledge HTTP/2 with the URI's scheme.</summary>
    private HttpClient H2Client(WorkloadCredentials client)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                var ssl = new SslStream(new NetworkStream(socket, ownsSocket: true));
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = "outbound_.8000_._.httpbin.foo.svc.cluster.local",
                    ClientCertificateContext = SslStreamCertificateContext.Create(client.Leaf, client.IntermediateCollection, offline: true),
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                    RemoteCertificateValidationCallback = (_, cert, chain, _) =>
                        cert is X509Certificate2 c && _mesh.Ca.TrustBundle.Verify(c, chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>() ?? [], DateTimeOffset.UtcNow, out _),
                }, cancellationToken);
                Assert.Equal(SslApplicationProtocol.Http2, ssl.NegotiatedApplicationProtocol);
                return ssl;
            },
        };
        return new HttpClient(handler) { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
    }

    [Fact]
    public async Task An_h2_request_with_scheme_http_over_mtls_is_served_with_xfcc()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)]);
        using var http = H2Client(_mesh.Ca.IssueWorkload("foo", "sleep"));
        // Several requests, some at once: they share the one h2 connection.
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => http.GetAsync($"http://{server.Ip}:{server.InboundPort(8000)}/headers")));
        foreach (var response in responses)
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(HttpVersion.Version20, response.Version);
                using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Contains("URI=spiffe://cluster.local/ns/foo/sa/sleep", json.RootElement.GetProperty("headers").GetProperty("x-forwarded-client-cert").GetString());
            }
        }
    }

    [Fact]
    public async Task An_h2_request_with_scheme_https_over_mtls_is_still_served()
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)]);
        using var http = H2Client(_mesh.Ca.IssueWorkload("foo", "sleep"));
        using var response = await http.GetAsync($"https://{server.Ip}:{server.InboundPort(8000)}/name");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("httpbin", await response.Content.ReadAsStringAsync());
    }
}

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

    /// <summary>A frame: 24-bit length, type, flags, stream 1.</summary>
    private static byte[] Frame(byte type, byte flags, params byte[] payload) =>
        [(byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags, 0, 0, 0, 1, .. payload];

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Only_indexed_scheme_http_in_header_blocks_is_rewritten_whatever_the_read_sizes(int readSize)
    {
        byte[] preface = [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8];
        byte[] settings = Frame(0x4, 0);
        // HEADERS, PADDED | PRIORITY, no END_HEADERS: pad length 2, priority (5 bytes, one of them 0x86), then
        // :method GET (0x82), :scheme http (0x86), a literal with a new name "x" whose value is 0x86 0x86,
        // a literal with name index 63+ (multi-byte integer) whose value is 0x86, then 2 bytes of padding (0x86).
        byte[] headers = Frame(0x1, 0x8 | 0x20,
            2, 0x86, 0, 0, 0, 16,
            0x82, 0x86, 0x40, 0x01, (byte)'x', 0x02, 0x86, 0x86, 0x7F, 0x05, 0x01, 0x86,
            0x86, 0x86);
        // CONTINUATION, END_HEADERS: a literal value 0x86 split from its length, then an indexed :scheme http.
        byte[] continuation = Frame(0x9, 0x4, 0x04, 0x01, 0x86, 0x86);
        // DATA: a body of 0x86 bytes stays as it is.
        byte[] data = Frame(0x0, 0x1, 0x86, 0x86, 0x86);
        // A second request's HEADERS: a table size update, then :scheme http.
        byte[] second = Frame(0x1, 0x4 | 0x1, 0x3F, 0x01, 0x86);
        byte[] input = [.. preface, .. settings, .. headers, .. continuation, .. data, .. second];

        var expected = (byte[])input.Clone();
        var h = preface.Length + settings.Length + 9;
        expected[h + 1 + 5 + 1] = 0x87;                              // the :scheme in the first HEADERS
        var c = preface.Length + settings.Length + headers.Length + 9;
        expected[c + 3] = 0x87;                                      // the indexed :scheme in the CONTINUATION
        expected[^1] = 0x87;                                         // the second request's :scheme

        var stream = new Meshwork.Proxy.Inbound.Tls.Http2SchemeNormalizingStream(Stream.Null);
        for (var at = 0; at < input.Length; at += readSize)
            stream.Scan(input.AsSpan(at, Math.Min(readSize, input.Length - at)));
        Assert.Equal(expected, input);
    }
}

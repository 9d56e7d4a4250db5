using System.Collections.Frozen;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.MeshTls.OpenSsl;
using Meshwork.Testing;
using static Meshwork.Proxy.Tests.MeshTls.TlsLoopback;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>The OpenSSL engine end to end on loopback sockets: refusals both ends see, bulk transfer, concurrency, cancellation.</summary>
public sealed class OpenSslEngineTests
{
    private static readonly TestCertificateAuthority Ca = TestCertificateAuthority.Shared;
    private const string HttpbinId = "spiffe://cluster.local/ns/foo/sa/httpbin";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>Both ends on OpenSSL: the server with <paramref name="server"/>, the client with <paramref name="client"/>.</summary>
    private static async Task<(ServerHandshake Server, ClientHandshake Client)> PairAsync(MeshTlsContext server, MeshTlsContext client,
        bool presentCertificate = true, ClientAlpn alpn = ClientAlpn.Http1, params string[] expected)
    {
        var (clientStream, serverStream) = await ConnectAsync(Engine.OpenSsl);
        var serving = MeshTlsServer.HandshakeAsync(serverStream, server, HandshakeTimeout, CancellationToken.None).AsTask();
        var originated = await MeshTlsClient.HandshakeAsync(clientStream, client, "outbound_.8000_._.httpbin.foo.svc.cluster.local", alpn,
            presentCertificate, expected.Length == 0 ? null : expected.ToFrozenSet(), HandshakeTimeout, CancellationToken.None);
        return (await serving, originated);
    }

    private static async Task<(OpenSslStream Server, OpenSslStream Client)> EstablishedAsync()
    {
        var (server, client) = await PairAsync(Httpbin.Value, Sleep.Value, expected: HttpbinId);
        return ((OpenSslStream)Assert.IsType<ServerHandshake.Mutual>(server).Tls, (OpenSslStream)Assert.IsType<ClientHandshake.Established>(client).Tls);
    }

    /// <summary>The client's view of a server refusal: in TLS 1.3 its handshake completes first, and the server's alert ends its first read.</summary>
    private static async Task AssertClientSeesRefusalAsync(ClientHandshake client)
    {
        if (client is not ClientHandshake.Established established) return;
        await using var _ = established.Tls;
        await Assert.ThrowsAsync<IOException>(async () => await established.Stream.ReadAsync(new byte[16]).AsTask().WaitAsync(Bound));
    }

    [Fact]
    public async Task Both_ends_on_OpenSSL_prove_their_identities_and_agree_on_ALPN_without_resuming()
    {
        for (var i = 0; i < 2; i++)
        {
            var (server, client) = await EstablishedAsync();
            await using var _1 = server;
            await using var _2 = client;
            Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", server.Peer.PeerSpiffeUri);
            Assert.Equal(HttpbinId, client.Peer.PeerSpiffeUri);
            Assert.Equal("http/1.1", server.ApplicationProtocol);
            Assert.Equal("http/1.1", client.ApplicationProtocol);
            // A second connection of the same generation proves its identity afresh.
            Assert.False(client.SessionReused);
            Assert.False(server.SessionReused);
        }
    }

    [Fact]
    public async Task The_OpenSSL_client_sends_SNI_and_ALPN_to_another_TLS_server_and_checks_it()
    {
        var (clientSocket, serverSocket) = await ConnectSocketsAsync();
        var credentials = Ca.IssueWorkload("foo", "httpbin");
        string? sni = null;
        await using var ssl = new SslStream(new NetworkStream(serverSocket, ownsSocket: true));
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(credentials.Leaf, credentials.IntermediateCollection, offline: true),
            ApplicationProtocols = [new SslApplicationProtocol("istio-peer-exchange")],
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
        };
        var serving = ssl.AuthenticateAsServerAsync((_, hello, _, _) => { sni = hello.ServerName; return ValueTask.FromResult(options); }, null);
        var outcome = await MeshTlsClient.HandshakeAsync(OnLoop(clientSocket), Sleep.Value, "outbound_.9000_._.tcp.foo.svc.cluster.local",
            ClientAlpn.Tcp, presentCertificate: true, [HttpbinId], HandshakeTimeout, CancellationToken.None);
        await serving.WaitAsync(Bound);
        var established = Assert.IsType<ClientHandshake.Established>(outcome);
        await using var _ = established.Tls;
        Assert.IsType<OpenSslStream>(established.Tls);
        Assert.Equal("outbound_.9000_._.tcp.foo.svc.cluster.local", sni);
        Assert.Equal("istio-peer-exchange", established.Tls.ApplicationProtocol);
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", CertificateIdentity.GetSpiffeUri(new X509Certificate2(ssl.RemoteCertificate!)));
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_and_sees_the_refusal()
    {
        var (server, client) = await PairAsync(Httpbin.Value, Sleep.Value, presentCertificate: false);
        Assert.Equal(HandshakeFailure.NoClientCertificate, Assert.IsType<ServerHandshake.Failed>(server).Reason);
        await AssertClientSeesRefusalAsync(client);
    }

    [Theory]
    [InlineData("foreign-ca", nameof(HandshakeFailure.UntrustedChain))]
    [InlineData("expired", nameof(HandshakeFailure.Expired))]
    [InlineData("other-trust-domain", nameof(HandshakeFailure.ForeignTrustDomain))]
    public async Task A_refused_client_certificate_fails_the_handshake_on_both_ends(string kind, string reason)
    {
        var expected = Enum.Parse<HandshakeFailure>(reason);
        var credentials = kind switch
        {
            "foreign-ca" => TestCertificateAuthority.Create(name: "Foreign").IssueWorkload("foo", "sleep"),
            "expired" => Ca.IssueExpired(Ca.Id("foo", "sleep")),
            _ => Ca.Issue(new LeafSpec { Identity = new SpiffeId("other.domain", "foo", "sleep") }),
        };
        var (server, client) = await PairAsync(Httpbin.Value, Context(credentials, Ca.TrustBundle));
        Assert.Equal(expected, Assert.IsType<ServerHandshake.Failed>(server).Reason);
        await AssertClientSeesRefusalAsync(client);
    }

    [Fact]
    public async Task A_server_of_the_wrong_identity_is_refused_by_secure_naming_and_the_server_sees_a_failed_handshake()
    {
        var (server, client) = await PairAsync(Context(Ca.IssueWorkload("foo", "impostor"), Ca.TrustBundle), Sleep.Value, expected: HttpbinId);
        var failed = Assert.IsType<ClientHandshake.Failed>(client);
        Assert.Equal(HandshakeFailure.IdentityMismatch, failed.Reason);
        Assert.Contains("impostor", failed.Detail);
        Assert.Equal(HandshakeFailure.ProtocolError, Assert.IsType<ServerHandshake.Failed>(server).Reason);
    }

    [Fact]
    public async Task An_h2_caller_is_served_h2_by_a_mesh_server()
    {
        var (server, client) = await PairAsync(Httpbin.Value, Sleep.Value, alpn: ClientAlpn.Http2, expected: HttpbinId);
        var mutual = Assert.IsType<ServerHandshake.Mutual>(server);
        var established = Assert.IsType<ClientHandshake.Established>(client);
        await using var _1 = mutual.Tls;
        await using var _2 = established.Tls;
        Assert.Equal("h2", mutual.ApplicationProtocol);
        Assert.Equal("h2", established.Tls.ApplicationProtocol);
    }
}

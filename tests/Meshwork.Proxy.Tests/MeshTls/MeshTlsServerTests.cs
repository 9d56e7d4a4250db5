using Meshwork.Proxy.MeshTls;
using Meshwork.Testing;
using static Meshwork.Proxy.Tests.MeshTls.TlsLoopback;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>The server handshake's outcome for each kind of client, over real TLS on loopback, on each engine.</summary>
public abstract class MeshTlsServerTests(Engine engine)
{
    private static readonly TestCertificateAuthority Ca = TestCertificateAuthority.Shared;
    private static readonly Lazy<MeshTlsContext> Server = new(() => Context(Ca.IssueWorkload("foo", "httpbin"), Ca.TrustBundle));

    private async Task<HandshakeFailure> FailureAsync(Func<Stream, Task<IAsyncDisposable?>> client, TimeSpan? timeout = null)
    {
        var outcome = await ServeAsync(Server.Value, client, timeout, engine);
        if (outcome is ServerHandshake.Mutual mutual) await mutual.Stream.DisposeAsync();
        return Assert.IsType<ServerHandshake.Failed>(outcome).Reason;
    }

    [Fact]
    public async Task A_mesh_client_is_served_with_its_SPIFFE_ID_and_ALPN()
    {
        var outcome = await ServeAsync(Server.Value, ClientWith(Ca.IssueWorkload("foo", "sleep")), engine: engine);
        var mutual = Assert.IsType<ServerHandshake.Mutual>(outcome);
        await using var _ = mutual.Stream;
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", mutual.PeerSpiffeUri);
        Assert.Equal("istio-http/1.1", mutual.ApplicationProtocol);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_as_NoClientCertificate() =>
        Assert.Equal(HandshakeFailure.NoClientCertificate, await FailureAsync(ClientWith(leaf: null)));

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused_as_UntrustedChain() =>
        Assert.Equal(HandshakeFailure.UntrustedChain, await FailureAsync(ClientWith(TestCertificateAuthority.Create(name: "Foreign").IssueWorkload("foo", "sleep"))));

    [Fact]
    public async Task A_certificate_of_a_foreign_trust_domain_from_the_mesh_CA_is_refused_as_ForeignTrustDomain() =>
        Assert.Equal(HandshakeFailure.ForeignTrustDomain,
            await FailureAsync(ClientWith(Ca.Issue(new LeafSpec { Identity = new Meshwork.Identity.SpiffeId("other.domain", "foo", "sleep") }))));

    [Fact]
    public async Task An_expired_certificate_is_refused_as_Expired() =>
        Assert.Equal(HandshakeFailure.Expired, await FailureAsync(ClientWith(Ca.IssueExpired(Ca.Id("foo", "sleep")))));

    [Fact]
    public async Task A_certificate_not_yet_valid_is_refused_as_NotYetValid() =>
        Assert.Equal(HandshakeFailure.NotYetValid, await FailureAsync(ClientWith(Ca.IssueNotYetValid(Ca.Id("foo", "sleep")))));

    [Fact]
    public async Task A_certificate_without_a_SPIFFE_ID_is_refused_as_NotSpiffe() =>
        Assert.Equal(HandshakeFailure.NotSpiffe,
            await FailureAsync(ClientWith(Ca.IssueCertificate(new LeafSpec { DnsNames = ["sleep.foo"] }), Ca.Intermediates)));

    [Fact]
    public async Task A_client_that_sends_nothing_times_out() =>
        Assert.Equal(HandshakeFailure.Timeout, await FailureAsync(_ => Task.FromResult<IAsyncDisposable?>(null), TimeSpan.FromMilliseconds(300)));

    [Fact]
    public async Task A_client_that_hangs_up_is_TransportClosed() =>
        Assert.Equal(HandshakeFailure.TransportClosed, await FailureAsync(stream => { stream.Dispose(); return Task.FromResult<IAsyncDisposable?>(null); }));

    [Fact]
    public async Task A_plaintext_client_is_a_ProtocolError() =>
        // The TLS record layer rejects bytes that are no handshake record (RFC 8446 §5.1).
        Assert.Equal(HandshakeFailure.ProtocolError, await FailureAsync(async stream =>
        {
            await stream.WriteAsync("GET / HTTP/1.1\r\nHost: httpbin\r\n\r\n"u8.ToArray());
            return null;
        }));
}

public sealed class MeshTlsServerOnSslStreamTests() : MeshTlsServerTests(Engine.SslStream);

public sealed class MeshTlsServerOnOpenSslTests() : MeshTlsServerTests(Engine.OpenSsl);

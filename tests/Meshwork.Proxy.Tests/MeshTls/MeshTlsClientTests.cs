using System.Collections.Frozen;
using Meshwork.Proxy.MeshTls;
using Meshwork.Testing;
using static Meshwork.Proxy.Tests.MeshTls.TlsLoopback;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>The client handshake against a mesh server: secure naming, foreign servers, servers that hang up; on each engine.</summary>
public abstract class MeshTlsClientTests(Engine engine)
{
    private static readonly TestCertificateAuthority Ca = TestCertificateAuthority.Shared;
    private static readonly Lazy<MeshTlsContext> Client = new(() => Context(Ca.IssueWorkload("foo", "sleep"), Ca.TrustBundle));
    private const string Httpbin = "spiffe://cluster.local/ns/foo/sa/httpbin";

    /// <summary>Originates to a mesh server holding <paramref name="serverContext"/>'s certificate.</summary>
    private async Task<ClientHandshake> OriginateAsync(MeshTlsContext serverContext, params string[] expected)
    {
        var (clientStream, serverStream) = await ConnectAsync(engine);
        var serving = MeshTlsServer.HandshakeAsync(serverStream, serverContext, HandshakeTimeout, CancellationToken.None).AsTask();
        var outcome = await MeshTlsClient.HandshakeAsync(clientStream, Client.Value, "outbound_.8000_._.httpbin.foo.svc.cluster.local", ClientAlpn.Http1,
            presentCertificate: true, expected.Length == 0 ? null : expected.ToFrozenSet(), HandshakeTimeout, CancellationToken.None);
        if (outcome is not ClientHandshake.Established) await clientStream.DisposeAsync();
        if (await serving is ServerHandshake.Mutual served) await served.Stream.DisposeAsync();
        return outcome;
    }

    [Fact]
    public async Task A_server_with_an_expected_identity_is_established_and_carries_it()
    {
        var outcome = await OriginateAsync(Context(Ca.IssueWorkload("foo", "httpbin"), Ca.TrustBundle), Httpbin);
        var established = Assert.IsType<ClientHandshake.Established>(outcome);
        await using var _ = established.Stream;
        Assert.Equal(Httpbin, established.Tls.Peer.PeerSpiffeUri);
        // The server picks from the client's offer in its own order of preference (RFC 7301 §3.2).
        Assert.Equal("http/1.1", established.Tls.ApplicationProtocol);
    }

    [Fact]
    public async Task A_server_with_another_identity_fails_secure_naming_as_IdentityMismatch()
    {
        var outcome = await OriginateAsync(Context(Ca.IssueWorkload("foo", "impostor"), Ca.TrustBundle), Httpbin);
        var failed = Assert.IsType<ClientHandshake.Failed>(outcome);
        Assert.Equal(HandshakeFailure.IdentityMismatch, failed.Reason);
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/impostor", failed.Detail);
    }

    [Fact]
    public async Task A_server_from_another_CA_is_refused_as_UntrustedChain()
    {
        var foreign = TestCertificateAuthority.Create(name: "Foreign");
        var outcome = await OriginateAsync(Context(foreign.IssueWorkload("foo", "httpbin"), foreign.TrustBundle), Httpbin);
        Assert.Equal(HandshakeFailure.UntrustedChain, Assert.IsType<ClientHandshake.Failed>(outcome).Reason);
    }

    [Fact]
    public async Task A_server_with_an_expired_certificate_is_refused_as_Expired()
    {
        var outcome = await OriginateAsync(Context(Ca.IssueExpired(Ca.Id("foo", "httpbin")), Ca.TrustBundle), Httpbin);
        Assert.Equal(HandshakeFailure.Expired, Assert.IsType<ClientHandshake.Failed>(outcome).Reason);
    }

    [Fact]
    public async Task A_server_that_hangs_up_is_TransportClosed()
    {
        var (clientStream, serverStream) = await ConnectAsync(engine);
        await serverStream.DisposeAsync();
        var outcome = await MeshTlsClient.HandshakeAsync(clientStream, Client.Value, "httpbin", ClientAlpn.Tcp, presentCertificate: true, null, HandshakeTimeout, CancellationToken.None);
        Assert.Equal(HandshakeFailure.TransportClosed, Assert.IsType<ClientHandshake.Failed>(outcome).Reason);
    }

    [Fact]
    public async Task The_callers_cancellation_propagates_rather_than_becoming_a_failure()
    {
        var (clientStream, serverStream) = await ConnectAsync(engine);
        await using var _ = serverStream;
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await MeshTlsClient.HandshakeAsync(clientStream, Client.Value, "httpbin", ClientAlpn.Tcp, presentCertificate: true, null, HandshakeTimeout, cancelled.Token));
    }
}

public sealed class MeshTlsClientOnSslStreamTests() : MeshTlsClientTests(Engine.SslStream);

public sealed class MeshTlsClientOnOpenSslTests() : MeshTlsClientTests(Engine.OpenSsl);

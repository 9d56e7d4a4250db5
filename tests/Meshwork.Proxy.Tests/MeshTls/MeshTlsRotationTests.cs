using System.Collections.Frozen;
using Meshwork.Identity;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.MeshTls;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;
using static Meshwork.Proxy.Tests.MeshTls.TlsLoopback;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>
/// The proxy's TLS context across certificate rotation and trust changes: built once per
/// generation, shared by every handshake of it, swapped whole when what it was built from changes.
/// </summary>
public abstract class MeshTlsRotationTests(Engine engine)
{
    private static readonly TestCertificateAuthority Ca = TestCertificateAuthority.Shared;
    private static readonly Lazy<MeshTlsContext> Client = new(() => Context(Ca.IssueWorkload("foo", "sleep"), Ca.TrustBundle));

    private static ProxySnapshot Snapshot(string version, TrustBundle bundle) => new()
    {
        Version = version,
        Node = new ProxyNode { Id = "httpbin-pod.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "httpbin", ServiceAccount = "httpbin", SpiffeId = "spiffe://cluster.local/ns/foo/sa/httpbin" },
        TrustBundle = bundle.ToPem(),
        TrustDomains = ["cluster.local"],
    };

    private static ProxyState State(WorkloadCredentials credentials, TrustBundle bundle)
    {
        var state = new ProxyState("foo", TimeProvider.System);
        Assert.True(state.TryApply(Snapshot("v1", bundle), out var error), error);
        state.SetCredentials(credentials);
        return state;
    }

    /// <summary>One connection as a listener serves it: reads the state's context once, then handshakes with it.</summary>
    private async Task<(ServerHandshake.Mutual Server, ClientHandshake.Established Client)> ConnectAsync(ProxyState state, MeshTlsContext? client = null)
    {
        var (clientStream, serverStream) = await TlsLoopback.ConnectAsync(engine);
        var serving = MeshTlsServer.HandshakeAsync(serverStream, state.Tls!, HandshakeTimeout, CancellationToken.None).AsTask();
        var originated = await MeshTlsClient.HandshakeAsync(clientStream, client ?? Client.Value, "httpbin", ClientAlpn.Tcp, presentCertificate: true,
            new[] { "spiffe://cluster.local/ns/foo/sa/httpbin" }.ToFrozenSet(), HandshakeTimeout, CancellationToken.None);
        var served = await serving;
        return (Assert.IsType<ServerHandshake.Mutual>(served), Assert.IsType<ClientHandshake.Established>(originated));
    }

    private static async Task AssertCarriesBytesAsync(ServerHandshake.Mutual server, ClientHandshake.Established client)
    {
        await client.Stream.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        await server.Stream.ReadExactlyAsync(buffer);
        Assert.Equal("ping"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task Handshakes_of_one_generation_share_one_context_and_a_rotation_swaps_it_for_new_connections_only()
    {
        var first = Ca.IssueWorkload("foo", "httpbin");
        var state = State(first, Ca.TrustBundle);
        var generation = state.Tls!;

        var (server1, client1) = await ConnectAsync(state);
        var (server2, client2) = await ConnectAsync(state);
        await using var _1 = server1.Stream;
        await using var _2 = server2.Stream;
        await using var _3 = client1.Stream;
        await using var _4 = client2.Stream;
        Assert.Same(generation, server1.Tls.Peer.Context);
        Assert.Same(generation, server2.Tls.Peer.Context);
        Assert.Same(generation, state.Tls);
        Assert.Equal(first.Leaf.RawData, client2.Tls.Peer.PeerLeaf!.RawData);

        var second = Ca.IssueWorkload("foo", "httpbin");
        state.SetCredentials(second);
        var rotated = state.Tls!;
        Assert.NotSame(generation, rotated);

        var (server3, client3) = await ConnectAsync(state);
        await using var _5 = server3.Stream;
        await using var _6 = client3.Stream;
        Assert.Same(rotated, server3.Tls.Peer.Context);
        Assert.Equal(second.Leaf.RawData, client3.Tls.Peer.PeerLeaf!.RawData);

        // A connection made before the rotation keeps its session and goes on carrying bytes.
        await AssertCarriesBytesAsync(server1, client1);
    }

    [Fact]
    public void A_snapshot_with_the_same_trust_keeps_the_context_and_new_roots_replace_it()
    {
        var state = State(Ca.IssueWorkload("foo", "httpbin"), Ca.TrustBundle);
        var generation = state.Tls!;

        Assert.True(state.TryApply(Snapshot("v2", Ca.TrustBundle), out _));
        Assert.Same(generation, state.Tls);

        var other = TestCertificateAuthority.Create(name: "Second");
        Assert.True(state.TryApply(Snapshot("v3", Ca.TrustBundle.Union(other.TrustBundle)), out _));
        Assert.NotSame(generation, state.Tls);
        Assert.Equal(2, state.Tls!.Bundle.Roots.Length);
    }

    [Fact]
    public async Task A_client_of_a_root_added_by_a_snapshot_is_served_by_new_connections()
    {
        var state = State(Ca.IssueWorkload("foo", "httpbin"), Ca.TrustBundle);
        var other = TestCertificateAuthority.Create(name: "Second");
        var client = Context(other.IssueWorkload("foo", "sleep"), Ca.TrustBundle);

        var before = await ServeAsync(state.Tls!, ClientWith(other.IssueWorkload("foo", "sleep")), engine: engine);
        Assert.Equal(HandshakeFailure.UntrustedChain, Assert.IsType<ServerHandshake.Failed>(before).Reason);

        Assert.True(state.TryApply(Snapshot("v2", Ca.TrustBundle.Union(other.TrustBundle)), out _));
        var (server, originated) = await ConnectAsync(state, client);
        await using var _1 = server.Stream;
        await using var _2 = originated.Stream;
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", server.PeerSpiffeUri);
    }

    [Fact]
    public void Without_a_workload_certificate_the_context_can_originate_but_not_serve()
    {
        var state = new ProxyState("foo", TimeProvider.System);
        Assert.Null(state.Tls);
        Assert.True(state.TryApply(Snapshot("v1", Ca.TrustBundle), out _));
        Assert.NotNull(state.Tls);
        Assert.Null(state.Tls!.ServerOptions);
        Assert.Null(state.Tls.Credentials);
    }
}

public sealed class MeshTlsRotationOnSslStreamTests() : MeshTlsRotationTests(Engine.SslStream);

public sealed class MeshTlsRotationOnOpenSslTests() : MeshTlsRotationTests(Engine.OpenSsl);

using System.Collections.Frozen;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Meshwork.Proxy.Identity;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.Transport.Loop;
using Meshwork.Testing;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>Real TCP connections on 127.0.0.1 with a mesh TLS server or client on one end and whatever peer a test needs on the other.</summary>
/// <summary>The mesh TLS engine a test runs on: chosen by the transport, as in the proxy.</summary>
public enum Engine { SslStream, OpenSsl }

internal static class TlsLoopback
{
    /// <summary>Generous: the box is shared; tests that want a timeout pass a short one explicitly.</summary>
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The mesh server and client of the engine tests, one context each for the whole run.</summary>
    public static readonly Lazy<MeshTlsContext> Httpbin = new(() => Context(TestCertificateAuthority.Shared.IssueWorkload("foo", "httpbin"), TestCertificateAuthority.Shared.TrustBundle));
    public static readonly Lazy<MeshTlsContext> Sleep = new(() => Context(TestCertificateAuthority.Shared.IssueWorkload("foo", "sleep"), TestCertificateAuthority.Shared.TrustBundle));

    public static MeshTlsContext Context(WorkloadCredentials? credentials, TrustBundle bundle, params string[] trustDomains) =>
        MeshTlsContext.For(null, credentials is null ? null : new ActiveCredentials(credentials, DateTimeOffset.UtcNow), bundle,
            (trustDomains.Length == 0 ? ["cluster.local"] : trustDomains).ToFrozenSet(StringComparer.Ordinal), TimeProvider.System)!;

    /// <summary>
    /// A connected pair of sockets on the loopback address; with <paramref name="engine"/> OpenSsl both ends are
    /// the proxy's own sockets on its event loop (the mesh TLS then runs on OpenSSL), else network streams (SslStream).
    /// </summary>
    public static async Task<(Stream Client, Stream Server)> ConnectAsync(Engine engine = Engine.SslStream)
    {
        var (client, server) = await ConnectSocketsAsync();
        return engine == Engine.OpenSsl
            ? (OnLoop(client), OnLoop(server))
            : (new NetworkStream(client, ownsSocket: true), new NetworkStream(server, ownsSocket: true));
    }

    /// <summary>The stream the proxy's data path opens over a socket: on its own event loop.</summary>
    public static Stream OnLoop(Socket socket)
    {
        var stream = LoopStream.Open(socket, ownsSocket: true);
        Assert.IsType<LoopStream>(stream);
        return stream;
    }

    /// <summary>A connected pair of sockets on the loopback address.</summary>
    public static async Task<(Socket Client, Socket Server)> ConnectSocketsAsync()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var connecting = client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            var server = await listener.AcceptSocketAsync();
            await connecting;
            return (client, server);
        }
        finally { listener.Stop(); }
    }

    /// <summary>
    /// Runs the server handshake against a client that <paramref name="client"/> drives on the other
    /// end; the client's own view of a refusal (an alert or a reset) is expected and ignored.
    /// </summary>
    public static async Task<ServerHandshake> ServeAsync(MeshTlsContext context, Func<Stream, Task<IAsyncDisposable?>> client, TimeSpan? timeout = null,
        Engine engine = Engine.SslStream)
    {
        var (clientSocket, serverSocket) = await ConnectSocketsAsync();
        await using var clientStream = new NetworkStream(clientSocket, ownsSocket: true);
        Stream serverStream = engine == Engine.OpenSsl ? OnLoop(serverSocket) : new NetworkStream(serverSocket, ownsSocket: true);
        var serving = MeshTlsServer.HandshakeAsync(serverStream, context, timeout ?? HandshakeTimeout, CancellationToken.None).AsTask();
        IAsyncDisposable? clientSide = null;
        try { clientSide = await client(clientStream); }
        catch (Exception e) when (e is AuthenticationException or IOException) { /* the refusal as the client sees it */ }
        try { return await serving; }
        finally { if (clientSide is not null) await clientSide.DisposeAsync(); }
    }

    /// <summary>A plain TLS client presenting <paramref name="leaf"/> (null: no certificate) and trusting any server.</summary>
    public static Func<Stream, Task<IAsyncDisposable?>> ClientWith(X509Certificate2? leaf, IEnumerable<X509Certificate2>? intermediates = null) => async stream =>
    {
        var ssl = new SslStream(stream, leaveInnerStreamOpen: true);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "httpbin",
                ApplicationProtocols = [new SslApplicationProtocol("istio-http/1.1")],
                ClientCertificateContext = leaf is null ? null
                    : SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection((intermediates ?? []).ToArray()), offline: true),
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
        }
        catch { await ssl.DisposeAsync(); throw; }
        return ssl;
    };

    public static Func<Stream, Task<IAsyncDisposable?>> ClientWith(WorkloadCredentials credentials) => ClientWith(credentials.Leaf, credentials.Intermediates);
}

using System.Collections.Frozen;
using System.Net.Security;

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// Mesh TLS through SslStream, for transports that are not the proxy's own sockets. The shared
/// options' validation callback receives this stream as its sender and writes onto its
/// <see cref="Peer"/>, so nothing per-connection lives in the options every handshake of a generation shares.
/// </summary>
internal sealed class MeshSslStream : SslStream, IMeshTlsStream
{
    private readonly SslServerAuthenticationOptions? _server;
    private readonly SslClientAuthenticationOptions? _client;

    private MeshSslStream(Stream inner, PeerVerdict peer, SslServerAuthenticationOptions? server, SslClientAuthenticationOptions? client)
        : base(inner, leaveInnerStreamOpen: false)
    {
        Peer = peer;
        _server = server;
        _client = client;
    }

    public static MeshSslStream Server(Stream inner, MeshTlsContext context, SslServerAuthenticationOptions options) =>
        new(inner, new PeerVerdict(context, null), options, null);

    public static MeshSslStream Client(Stream inner, MeshTlsContext context, FrozenSet<string>? expectedServerIdentities, SslClientAuthenticationOptions options) =>
        new(inner, new PeerVerdict(context, expectedServerIdentities), null, options);

    public Stream Stream => this;

    public PeerVerdict Peer { get; }

    public string ApplicationProtocol => NegotiatedApplicationProtocol.ToString();

    public ValueTask HandshakeAsync(CancellationToken cancellationToken) => new(_server is not null
        ? AuthenticateAsServerAsync(_server, cancellationToken)
        : AuthenticateAsClientAsync(_client!, cancellationToken));
}

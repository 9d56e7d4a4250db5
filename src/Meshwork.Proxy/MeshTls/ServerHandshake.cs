using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Proxy.MeshTls;

/// <summary>What the server side of a mesh handshake established: a verified peer, or why not.</summary>
internal abstract record ServerHandshake
{
    private ServerHandshake() { }

    /// <summary>The client proved a mesh identity; <see cref="Stream"/> carries the connection on.</summary>
    public sealed record Mutual(IMeshTlsStream Tls, X509Certificate2 PeerLeaf, string PeerSpiffeUri, string ApplicationProtocol) : ServerHandshake
    {
        public Stream Stream => Tls.Stream;
    }

    /// <summary>No verified peer; the transport has been disposed.</summary>
    public sealed record Failed(HandshakeFailure Reason, string Detail) : ServerHandshake;
}

namespace Meshwork.Proxy.MeshTls;

/// <summary>What the client side of a mesh handshake established: a checked server, or why not.</summary>
internal abstract record ClientHandshake
{
    private ClientHandshake() { }

    /// <summary>The server's chain (and, when asked, its identity) checked; <see cref="Stream"/> carries the connection on.</summary>
    public sealed record Established(IMeshTlsStream Tls) : ClientHandshake
    {
        public Stream Stream => Tls.Stream;
    }

    /// <summary>No connection; the transport has been disposed. <see cref="Error"/> is the exception that ended the handshake, if any.</summary>
    public sealed record Failed(HandshakeFailure Reason, string Detail, Exception? Error) : ClientHandshake;
}

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// Why a mesh TLS handshake did not establish a verified peer, decided where it happened (the
/// certificate check, the timer, the transport) rather than read back from an exception's text.
/// </summary>
internal enum HandshakeFailure
{
    /// <summary>This proxy has no workload certificate (or no trust bundle) yet, so it cannot take part in mTLS.</summary>
    NoLocalCertificate,
    /// <summary>The client sent no certificate, though the server requires one (RFC 8446 §4.4.2.4).</summary>
    NoClientCertificate,
    /// <summary>The server sent no certificate.</summary>
    NoServerCertificate,
    /// <summary>The peer's chain does not lead to a root of the mesh trust bundle.</summary>
    UntrustedChain,
    /// <summary>The peer's certificate, or a CA certificate it sent, is past its notAfter.</summary>
    Expired,
    /// <summary>The peer's certificate, or a CA certificate it sent, is before its notBefore (clock skew).</summary>
    NotYetValid,
    /// <summary>The peer's certificate carries no SPIFFE ID (URI SAN spiffe://&lt;trust-domain&gt;/ns/&lt;ns&gt;/sa/&lt;sa&gt;).</summary>
    NotSpiffe,
    /// <summary>The peer's SPIFFE ID belongs to a trust domain this mesh does not accept.</summary>
    ForeignTrustDomain,
    /// <summary>Secure naming: the server's identity is not one the destination port accepts.</summary>
    IdentityMismatch,
    /// <summary>The server did not select the application protocol the caller must speak (h2 with prior knowledge).</summary>
    AlpnMismatch,
    /// <summary>The peer sent a TLS alert, or offered no protocol version, cipher suite or ALPN value in common.</summary>
    ProtocolError,
    /// <summary>The handshake did not complete within the handshake timeout.</summary>
    Timeout,
    /// <summary>The peer closed or reset the connection during the handshake.</summary>
    TransportClosed,
}

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// The words for a <see cref="HandshakeFailure"/>: the metric's reason label (stable: dashboards and
/// alerts select on it) and a short description for log lines.
/// </summary>
internal static class HandshakeFailureLabels
{
    /// <summary>The reason label of a completed handshake.</summary>
    public const string Success = "ok";

    /// <summary>The reason label of meshwork_tls_handshakes_total; constant strings, so recording allocates nothing.</summary>
    public static string Label(this HandshakeFailure failure) => failure switch
    {
        HandshakeFailure.NoLocalCertificate => "no_certificate",
        HandshakeFailure.NoClientCertificate => "no_client_certificate",
        HandshakeFailure.NoServerCertificate => "no_server_certificate",
        HandshakeFailure.UntrustedChain => "untrusted_chain",
        HandshakeFailure.Expired => "expired",
        HandshakeFailure.NotYetValid => "not_yet_valid",
        HandshakeFailure.NotSpiffe => "not_spiffe",
        HandshakeFailure.ForeignTrustDomain => "untrusted_trust_domain",
        HandshakeFailure.IdentityMismatch => "secure_naming",
        HandshakeFailure.AlpnMismatch => "alpn",
        HandshakeFailure.ProtocolError => "handshake_error",
        HandshakeFailure.Timeout => "timeout",
        HandshakeFailure.TransportClosed => "peer_closed",
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };

    /// <summary>What went wrong, in words, for the log line that carries the detail.</summary>
    public static string Describe(this HandshakeFailure failure) => failure switch
    {
        HandshakeFailure.NoLocalCertificate => "this proxy has no workload certificate yet",
        HandshakeFailure.NoClientCertificate => "the client presented no certificate",
        HandshakeFailure.NoServerCertificate => "the server presented no certificate",
        HandshakeFailure.UntrustedChain => "the peer certificate does not chain to the mesh trust bundle",
        HandshakeFailure.Expired => "the peer certificate has expired",
        HandshakeFailure.NotYetValid => "the peer certificate is not yet valid",
        HandshakeFailure.NotSpiffe => "the peer certificate has no SPIFFE ID",
        HandshakeFailure.ForeignTrustDomain => "the peer's trust domain is not accepted",
        HandshakeFailure.IdentityMismatch => "secure naming: the server identity is not one the destination accepts",
        HandshakeFailure.AlpnMismatch => "the server did not negotiate the required application protocol",
        HandshakeFailure.ProtocolError => "the TLS handshake failed (alert, or no common version, cipher or ALPN)",
        HandshakeFailure.Timeout => "the TLS handshake timed out",
        HandshakeFailure.TransportClosed => "the peer closed or reset the connection during the TLS handshake",
        _ => throw new ArgumentOutOfRangeException(nameof(failure), failure, null),
    };
}

using System.Collections.Frozen;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// One connection's certificate check: what it checks against (the generation's context, the
/// identities its server must present) and what it decided. Both TLS engines carry one, so the
/// check writes its verdict in one place whichever engine ran the handshake.
/// </summary>
internal sealed class PeerVerdict(MeshTlsContext context, FrozenSet<string>? expectedServerIdentities)
{
    public MeshTlsContext Context { get; } = context;

    /// <summary>Secure naming on the client side: the server must present one of these SPIFFE IDs; null checks no identity.</summary>
    public FrozenSet<string>? ExpectedServerIdentities { get; } = expectedServerIdentities;

    /// <summary>The peer's leaf, once the check accepted it.</summary>
    public X509Certificate2? PeerLeaf { get; private set; }

    /// <summary>The peer's SPIFFE ID, once the check accepted it (null for a server checked without secure naming).</summary>
    public string? PeerSpiffeUri { get; private set; }

    /// <summary>Why the certificate check (or the handshake, for a missing client certificate) refused the peer; null when it did not.</summary>
    public HandshakeFailure? Failure { get; private set; }

    /// <summary>The check's words on the failure, for the log line and the error a caller sees.</summary>
    public string? FailureDetail { get; private set; }

    internal bool Accept(X509Certificate2 leaf, string? spiffeUri)
    {
        PeerLeaf = leaf;
        PeerSpiffeUri = spiffeUri;
        return true;
    }

    internal bool Refuse(HandshakeFailure failure, string detail)
    {
        Failure = failure;
        FailureDetail = detail;
        return false;
    }
}
